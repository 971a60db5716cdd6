"""Everything mlpath holds about one learner, as plain JSON-ready data."""

from .models import PathSettings, Progress, ReviewRating, SectionProgress, StatusChange, TopicReview


def _when(value):
    return value.isoformat() if value else None


def export_data(user, *, now) -> dict:
    path_settings = PathSettings.objects.filter(user=user).first()
    progress = Progress.objects.filter(user=user).select_related("resource").order_by("resource__slug")
    sections = (
        SectionProgress.objects.filter(user=user)
        .select_related("section__resource")
        .order_by("section__resource__slug", "section__position")
    )
    history = (
        StatusChange.objects.filter(user=user)
        .select_related("resource", "section")
        .order_by("changed_at", "id")
    )
    saved = path_settings or PathSettings(user=user)
    return {
        "format": "mlpath-export-1",
        "exported_at": _when(now),
        "account": {"username": user.username, "email": user.email, "date_joined": _when(user.date_joined)},
        "settings": {
            "stage_order": list(path_settings.stage_order) if path_settings else [],
            "known_stages": list(path_settings.known_stages) if path_settings else [],
            "hours_per_week": float(
                path_settings.hours_per_week if path_settings else PathSettings.DEFAULT_HOURS_PER_WEEK
            ),
            "known_topics": list(saved.known_topics or []),
            "goal": {"kind": saved.goal_kind, "target": saved.goal_slug},
            "level": saved.level,
            "preferred_kinds": list(saved.preferred_kinds or []),
            "free_only": saved.free_only,
            "saved": path_settings is not None,
        },
        "progress": [
            {
                "resource": row.resource.slug,
                "title": row.resource.title,
                "status": row.status,
                "note": row.note,
                "started_at": _when(row.started_at),
                "finished_at": _when(row.finished_at),
                "updated_at": _when(row.updated_at),
            }
            for row in progress
        ],
        "sections": [
            {
                "resource": row.section.resource.slug,
                "section": row.section.slug,
                "title": row.section.title,
                "status": row.status,
                "started_at": _when(row.started_at),
                "finished_at": _when(row.finished_at),
            }
            for row in sections
        ],
        "history": [
            {
                "resource": change.resource.slug,
                "section": change.section.slug if change.section else None,
                "from": change.from_status,
                "to": change.to_status,
                "at": _when(change.changed_at),
            }
            for change in history
        ],
        "reviews": [
            {
                "topic": row.topic.slug,
                "learned_at": _when(row.learned_at),
                "due": _when(row.due),
                "reviews": row.reviews,
                "fsrs_card": row.card,
            }
            for row in TopicReview.objects.filter(user=user).select_related("topic").order_by("topic__slug")
        ],
        "ratings": [
            {"topic": row.topic.slug, "rating": row.rating, "at": _when(row.reviewed_at)}
            for row in ReviewRating.objects.filter(user=user)
            .select_related("topic")
            .order_by("reviewed_at", "id")
        ],
    }
