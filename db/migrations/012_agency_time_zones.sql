-- Each agency's local time zone (an IANA name such as Asia/Jayapura), so that the sending hours
-- hold in the agency's own clock across Indonesia's three zones; NULL: the server's TIMEZONE.
ALTER TABLE agencies ADD COLUMN time_zone TEXT;
