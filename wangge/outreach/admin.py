"""Admin: a read view of the outreach tables (pages and services do the writing)."""

from django.contrib import admin

from wangge.core.admin import ReadOnlyAdmin
from wangge.outreach.models import (
    ConventionSignOff,
    ConventionVersion,
    Event,
    ExportLog,
    GovernanceRider,
    Service,
    SignUp,
    Survey,
    SurveyResponse,
)


@admin.register(Service)
class ServiceAdmin(ReadOnlyAdmin):
    list_display = ("title", "kind", "provider", "active", "order", "jurisdiction")
    list_filter = ("kind", "active", "jurisdiction")


@admin.register(Event)
class EventAdmin(ReadOnlyAdmin):
    list_display = ("title", "service", "starts_at", "seats_taken", "capacity")
    list_select_related = ("service",)


@admin.register(SignUp)
class SignUpAdmin(ReadOnlyAdmin):
    list_display = ("event", "name", "phone", "created_at")
    list_select_related = ("event",)


@admin.register(Survey)
class SurveyAdmin(ReadOnlyAdmin):
    list_display = ("title", "code", "status", "opens_at", "closes_at", "jurisdiction")
    list_filter = ("status",)


@admin.register(SurveyResponse)
class SurveyResponseAdmin(ReadOnlyAdmin):
    list_display = ("survey", "created_at")
    exclude = ("device_hash", "source_key")


@admin.register(ConventionVersion)
class ConventionVersionAdmin(ReadOnlyAdmin):
    list_display = ("title", "number", "published_at", "jurisdiction")


@admin.register(ConventionSignOff)
class ConventionSignOffAdmin(ReadOnlyAdmin):
    list_display = ("version", "name", "phone", "signed_at")


@admin.register(GovernanceRider)
class GovernanceRiderAdmin(ReadOnlyAdmin):
    list_display = ("name", "phone", "platform", "role", "active_since", "active")
    list_filter = ("role", "active")


@admin.register(ExportLog)
class ExportLogAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "user_label", "what", "rows")
