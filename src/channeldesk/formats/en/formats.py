"""English dates as a European vendor's staff and partners read them: day before month, and
24-hour times ("7 December 2026, 14:05"), never "Dec. 7, 2026, 2:05 p.m." or "12/07/2026", which
a German reader of an English page takes for 12 July. Used by the admin and every template that
formats with Django's `date` filter."""

DATE_FORMAT = "j F Y"
TIME_FORMAT = "H:i"
DATETIME_FORMAT = "j F Y, H:i"
YEAR_MONTH_FORMAT = "F Y"
MONTH_DAY_FORMAT = "j F"
SHORT_DATE_FORMAT = "j M Y"
SHORT_DATETIME_FORMAT = "j M Y, H:i"
FIRST_DAY_OF_WEEK = 1  # Monday
