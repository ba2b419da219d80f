"""Failures a user can fix: the CLIs print their message as one line and exit non-zero."""


class UserFacingError(Exception):
    """An expected failure; its message names the problem and the fix."""

    exit_code = 1


def one_line(error: BaseException) -> str:
    return " ".join(str(error).split())


def root_cause(error: BaseException) -> BaseException:
    """The innermost exception behind ``error``: dlt wraps a step's failure several times
    (``PipelineStepFailed`` -> ``ResourceExtractionError`` -> the source's own error)."""
    seen = set()
    while id(error) not in seen:
        seen.add(id(error))
        nested = getattr(error, "exception", None) or error.__cause__
        if not isinstance(nested, BaseException):
            break
        error = nested
    return error
