"""English dates as Ombuds writes them: "5 December 2026", "5 December 2026 14:30" (day first, as
in a letter), rather than Django's American defaults. Other languages keep Django's own."""

DATE_FORMAT = "j F Y"
DATETIME_FORMAT = "j F Y H:i"
SHORT_DATE_FORMAT = "j M Y"
SHORT_DATETIME_FORMAT = "j M Y H:i"
MONTH_DAY_FORMAT = "j F"
YEAR_MONTH_FORMAT = "F Y"
