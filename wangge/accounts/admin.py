from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from wangge.accounts.models import ApiToken, User


@admin.register(User)
class WanggeUserAdmin(UserAdmin):
    list_display = ("username", "first_name", "role", "jurisdiction", "is_active")
    list_filter = ("role", "jurisdiction", "is_active")
    fieldsets = (*UserAdmin.fieldsets, ("wangge", {"fields": ("role", "jurisdiction")}))


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ("name", "prefix", "user", "created_at", "last_used_at", "revoked")
    readonly_fields = ("key_hash", "prefix", "created_at", "last_used_at")
