"""A phone whose clock is off, said in plain words.

`tokens.totp.clock_offset` measures how far a refused code's phone is off; this turns the
measurement into the sentence the officer reads on the confirmation and step-up screens. The
code stays refused: the sentence only says what to fix.
"""

import datetime as dt
from enum import Enum

from django.utils.translation import ngettext

from tokens import totp


def minutes_off(offset_steps: int) -> int:
    """The offset in whole minutes, at least 1 (a phone 60 s fast is "about 1 minute")."""
    return max(1, round(abs(offset_steps) * totp.PERIOD / 60))


def clock_advice(offset_steps: int) -> str:
    """What the officer should do about a phone `offset_steps` time steps off (+: fast)."""
    minutes = minutes_off(offset_steps)
    if offset_steps > 0:
        return ngettext(
            "Your phone's clock is about %(minutes)d minute fast. Set it to update automatically, then type the new code.",
            "Your phone's clock is about %(minutes)d minutes fast. Set it to update automatically, then type the new code.",
            minutes,
        ) % {"minutes": minutes}
    return ngettext(
        "Your phone's clock is about %(minutes)d minute slow. Set it to update automatically, then type the new code.",
        "Your phone's clock is about %(minutes)d minutes slow. Set it to update automatically, then type the new code.",
        minutes,
    ) % {"minutes": minutes}


class ClockHint(Enum):
    """What a wrong code's screen may say of the phone's clock.

    A code that matches a *future* step tells whoever typed it when it will be accepted: say
    so only to someone who has already proved they hold the phone (a new token being
    confirmed, a session with a second factor or an earlier step-up). A slow phone's code
    matches a past step, which is never accepted again: that can be said to anyone signed in."""

    NONE = "none"
    SLOW_ONLY = "slow_only"
    ANY = "any"


def clock_skew_message(
    secret: str, code: str, *, at: dt.datetime, hint: ClockHint = ClockHint.ANY
) -> str | None:
    """If `code` would be right for a nearby time, say how far off the phone's clock is
    (within what `hint` allows)."""
    if hint is ClockHint.NONE:
        return None
    offset = totp.clock_offset(secret, code, at=at)
    if offset is None or (offset > 0 and hint is not ClockHint.ANY):
        return None
    return clock_advice(offset)
