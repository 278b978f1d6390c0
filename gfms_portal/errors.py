"""The one exception shape every service raises when a person's request cannot be done."""


class Refused(Exception):
    """Nothing was changed. `code` is stable (tests, logs, the API); `message` is for the
    person, already translated."""

    def __init__(self, code: str, message: str):
        super().__init__(code)
        self.code = code
        self.message = message
