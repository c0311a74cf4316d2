"""Photos attached to cases: checked by their bytes, location stripped unless kept on purpose."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.core.files.base import ContentFile
from django.utils.translation import gettext as _

from wangge.cases.models import Attachment, AttachmentKind
from wangge.core.errors import ApplicationError
from wangge.core.images import CleanImage, clean_image

MAX_PHOTOS = 9


@dataclass
class PhotoUpload:
    kind: str
    image: CleanImage

    @classmethod
    def from_bytes(cls, data: bytes, *, kind: str) -> PhotoUpload:
        if kind not in AttachmentKind.values:
            raise ApplicationError(_("Unknown photo kind %(kind)r.") % {"kind": kind}, code="invalid_payload")
        return cls(kind=kind, image=clean_image(data, max_bytes=settings.WANGGE_MAX_PHOTO_BYTES,
                                                keep_location=settings.WANGGE_KEEP_PHOTO_LOCATION))

    def save_for(self, *, case, event, user) -> Attachment:
        attachment = Attachment(
            case=case, event=event, kind=self.kind, content_type=self.image.content_type, sha256=self.image.sha256,
            width=self.image.width, height=self.image.height, uploaded_by=user if getattr(user, "pk", None) else None,
        )
        attachment.file.save(f"{self.image.sha256[:16]}.{self.image.extension}", ContentFile(self.image.content), save=False)
        attachment.save()
        return attachment


def photos_from_files(files, *, kind: str) -> list[PhotoUpload]:
    files = list(files or [])
    if len(files) > MAX_PHOTOS:
        raise ApplicationError(_("At most %(max)s photos at once.") % {"max": MAX_PHOTOS}, code="too_many_files")
    return [PhotoUpload.from_bytes(f.read(), kind=kind) for f in files]
