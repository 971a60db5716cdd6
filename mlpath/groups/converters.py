"""URL parameters in the only shapes their queries take; anything else is a 404 before any
query, rather than an error from the database."""


class InviteCodeConverter:
    """An invite code as `new_invite_code` makes them (`secrets.token_urlsafe`), no longer
    than the column: PostgreSQL cannot even compare text with a NUL in it."""

    regex = "[A-Za-z0-9_-]{1,64}"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


class RowIdConverter:
    """A row id that fits the 64-bit column: SQLite cannot compare a larger number with one."""

    regex = "[0-9]{1,18}"

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value) -> str:
        return str(value)
