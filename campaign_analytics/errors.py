"""Failures a user can fix: the CLIs print their message as one line and exit non-zero."""


class UserFacingError(Exception):
    """An expected failure; its message names the problem and the fix."""

    exit_code = 1


def one_line(error: BaseException) -> str:
    return " ".join(str(error).split())
