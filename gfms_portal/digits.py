"""What people type: Thai digits (๐–๙) are digits too."""

THAI_DIGITS = str.maketrans("๐๑๒๓๔๕๖๗๘๙", "0123456789")


def ascii_digits(typed: str) -> str:
    """ "๑๑/๐๔/๒๕๖๘" → "11/04/2568"."""
    return typed.translate(THAI_DIGITS)


def normalise_code(typed: str) -> str:
    """Thai digits to ASCII, spaces and dashes removed: "๑๒๓ ๔๕๖" → "123456"."""
    return ascii_digits(typed).replace(" ", "").replace("-", "").strip()
