"""Shapes of the media API. A media item renders from its own row only (the filter columns hold the
persona's id and name), so a page of them costs no query per item."""

from django.urls import reverse
from rest_framework import serializers

from .models import Media, MediaKind
from .services import MAX_TAG_CHARS, MAX_TAGS
from .thumbnails import thumbnail_urls


class MediaPersonaSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    name = serializers.CharField(help_text="As it was when the media was made (kept if the persona is deleted).")


class MediaSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    kind = serializers.ChoiceField(choices=MediaKind.choices)
    url = serializers.CharField(help_text="The original file, served to its owner (session or Bearer) and to staff.")
    thumbnails = serializers.DictField(
        child=serializers.CharField(),
        help_text="Width in pixels -> URL of a WebP thumbnail (e.g. `256`, `768`); empty for kinds without any yet.",
    )
    width = serializers.IntegerField()
    height = serializers.IntegerField()
    file_size = serializers.IntegerField(help_text="Bytes of the original file (what the storage quota counts).")
    created = serializers.DateTimeField()
    parameters = serializers.DictField(help_text="The parameters the media was made with (also inside the PNG).")
    job = serializers.UUIDField(allow_null=True, help_text="The job that made it; null once that job is deleted.")
    favourite = serializers.BooleanField()
    tags = serializers.ListField(child=serializers.CharField())
    flagged = serializers.BooleanField(help_text="The NSFW detector's score reached SEIDRA_NSFW_THRESHOLD.")
    nsfw_score = serializers.FloatField(allow_null=True, help_text="0..1; null when no detector scored it.")
    persona = MediaPersonaSerializer(allow_null=True, help_text="The persona it was made with, if any.")

    def to_representation(self, media: Media) -> dict:
        return {
            "id": str(media.pk),
            "kind": media.kind,
            "url": reverse("gallery:media-file", args=[media.pk]),
            "thumbnails": {str(size): url for size, url in thumbnail_urls(media).items()},
            "width": media.width,
            "height": media.height,
            "file_size": media.file_size,
            "created": serializers.DateTimeField().to_representation(media.created),
            "parameters": media.parameters,
            "job": str(media.job_id) if media.job_id else None,
            "favourite": media.favourite,
            "tags": list(media.tags),
            "flagged": media.flagged,
            "nsfw_score": media.nsfw_score,
            "persona": {"id": str(media.persona_id), "name": media.persona_name} if media.persona_id else None,
        }


class MediaPageSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = MediaSerializer(many=True)


class MediaUpdateSerializer(serializers.Serializer):
    """PATCH body: the owner's marks. Tags are checked by apps.gallery.services.media_tags_clean."""

    favourite = serializers.BooleanField(required=False)
    tags = serializers.ListField(
        child=serializers.CharField(allow_blank=True, trim_whitespace=False),
        required=False,
        help_text=(
            f"Replaces the tags: at most {MAX_TAGS}, each at most {MAX_TAG_CHARS} characters; "
            "trimmed, empty ones and repeats (ignoring case) dropped."
        ),
    )
