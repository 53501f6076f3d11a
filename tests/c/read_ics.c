/* Read iCalendar feeds with libical (the engine of GNOME Evolution) and print
 * their events as JSON, for the Python tests (tests/feed_readers.py).
 *
 * Build: gcc -O1 -o read_ics read_ics.c $(pkg-config --cflags --libs libical)
 *
 * Input on stdin, any number of calendars, each framed as a line holding its
 * length in bytes, then exactly that many bytes:
 *     <n>\n<n bytes of iCalendar text>
 * Output: one JSON line per calendar, in order:
 *     {"events": [{"uid", "summary", "location", "description", "status",
 *                  "sequence", "start", "end"}, ...],
 *      "errors": ["<X-LIC-ERROR text>", ...],
 *      "restriction": true|false,
 *      "restriction_errors": ["<X-LIC-ERROR text>", ...]}
 * start and end are UTC, ISO 8601 ("2026-12-07T17:00:00Z"). "errors" are the
 * problems libical's parser found (it keeps going and records each one as an
 * X-LIC-ERROR property); "restriction" is icalrestriction_check(), libical's
 * check of the calendar against RFC 5545/5546's rules for its METHOD, and
 * "restriction_errors" what it recorded. A time that cannot be placed (a TZID
 * without a VTIMEZONE in the file, a floating time, a missing DTEND) is
 * reported as an error and its "start"/"end" is null.
 *
 * Times with a TZID are placed by the calendar's own VTIMEZONE, found with
 * icalcomponent_get_timezone(); never by libical's built-in zone database.
 * The process answers each calendar as soon as it has read it, so one
 * process serves a whole test run; it exits at the end of its input.
 */

#include <libical/ical.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static void json_string(FILE *out, const char *text)
{
    if (text == NULL) {
        fputs("null", out);
        return;
    }
    fputc('"', out);
    for (const unsigned char *c = (const unsigned char *)text; *c; c++) {
        switch (*c) {
        case '"':
            fputs("\\\"", out);
            break;
        case '\\':
            fputs("\\\\", out);
            break;
        case '\n':
            fputs("\\n", out);
            break;
        case '\r':
            fputs("\\r", out);
            break;
        case '\t':
            fputs("\\t", out);
            break;
        default:
            if (*c < 0x20) {
                fprintf(out, "\\u%04x", *c);
            } else {
                fputc(*c, out); /* UTF-8 passes through */
            }
        }
    }
    fputc('"', out);
}

/* The X-LIC-ERROR texts recorded anywhere in comp, as a JSON array; then removed. */
static void json_errors(FILE *out, icalcomponent *comp, int *first)
{
    icalproperty *prop = icalcomponent_get_first_property(comp, ICAL_XLICERROR_PROPERTY);
    while (prop != NULL) {
        icalproperty *next = icalcomponent_get_next_property(comp, ICAL_XLICERROR_PROPERTY);
        if (!*first) {
            fputc(',', out);
        }
        *first = 0;
        json_string(out, icalproperty_get_xlicerror(prop));
        icalcomponent_remove_property(comp, prop);
        icalproperty_free(prop);
        prop = next;
    }
    for (icalcomponent *inner = icalcomponent_get_first_component(comp, ICAL_ANY_COMPONENT); inner != NULL;
         inner = icalcomponent_get_next_component(comp, ICAL_ANY_COMPONENT)) {
        json_errors(out, inner, first);
    }
}

static void error_list(FILE *out, icalcomponent *root)
{
    int first = 1;
    fputc('[', out);
    json_errors(out, root, &first);
    fputc(']', out);
}

/* The property's time in UTC, placed by the file's own VTIMEZONE; null (and a note) if it cannot be. */
static void json_utc(FILE *out, icalcomponent *root, icalproperty *prop, const char *name, char *note, size_t size)
{
    if (prop == NULL) {
        snprintf(note, size, "no %s", name);
        fputs("null", out);
        return;
    }
    struct icaltimetype when = icalvalue_get_datetime(icalproperty_get_value(prop));
    icalparameter *tzid = icalproperty_get_first_parameter(prop, ICAL_TZID_PARAMETER);
    icaltimezone *zone = NULL;
    if (tzid != NULL) {
        zone = icalcomponent_get_timezone(root, icalparameter_get_tzid(tzid));
        if (zone == NULL) {
            snprintf(note, size, "%s: no VTIMEZONE for TZID %s", name, icalparameter_get_tzid(tzid));
            fputs("null", out);
            return;
        }
    } else if (icaltime_is_utc(when)) {
        zone = icaltimezone_get_utc_timezone();
    } else {
        snprintf(note, size, "%s is a floating time or a date", name);
        fputs("null", out);
        return;
    }
    struct icaltimetype utc = icaltime_convert_to_zone(icaltime_set_timezone(&when, zone),
                                                       icaltimezone_get_utc_timezone());
    time_t seconds = icaltime_as_timet_with_zone(when, zone);
    if (utc.year == 0 || seconds != icaltime_as_timet_with_zone(utc, icaltimezone_get_utc_timezone())) {
        snprintf(note, size, "%s: icaltime_convert_to_zone and icaltime_as_timet_with_zone disagree", name);
    }
    fprintf(out, "\"%04d-%02d-%02dT%02d:%02d:%02dZ\"", utc.year, utc.month, utc.day, utc.hour, utc.minute,
            utc.second);
}

static void text_field(FILE *out, const char *key, const char *value)
{
    fprintf(out, "\"%s\":", key);
    json_string(out, value);
    fputc(',', out);
}

static void answer(FILE *out, const char *ics)
{
    icalcomponent *root = icalparser_parse_string(ics);
    if (root == NULL || icalcomponent_isa(root) != ICAL_VCALENDAR_COMPONENT) {
        fputs("{\"events\":[],\"errors\":[\"libical found no VCALENDAR\"],\"restriction\":false,"
              "\"restriction_errors\":[]}\n",
              out);
        if (root != NULL) {
            icalcomponent_free(root);
        }
        return;
    }
    fputs("{\"events\":[", out);
    char note[512];
    int first = 1;
    for (icalcomponent *event = icalcomponent_get_first_component(root, ICAL_VEVENT_COMPONENT); event != NULL;
         event = icalcomponent_get_next_component(root, ICAL_VEVENT_COMPONENT)) {
        if (!first) {
            fputc(',', out);
        }
        first = 0;
        note[0] = '\0';
        fputc('{', out);
        text_field(out, "uid", icalcomponent_get_uid(event));
        text_field(out, "summary", icalcomponent_get_summary(event));
        text_field(out, "location", icalcomponent_get_location(event));
        text_field(out, "description", icalcomponent_get_description(event));
        icalproperty *status = icalcomponent_get_first_property(event, ICAL_STATUS_PROPERTY);
        text_field(out, "status", status == NULL ? NULL : icalproperty_get_value_as_string(status));
        fprintf(out, "\"sequence\":%d,\"start\":", icalcomponent_get_sequence(event));
        json_utc(out, root, icalcomponent_get_first_property(event, ICAL_DTSTART_PROPERTY), "DTSTART", note,
                 sizeof note);
        fputs(",\"end\":", out);
        json_utc(out, root, icalcomponent_get_first_property(event, ICAL_DTEND_PROPERTY), "DTEND", note,
                 sizeof note);
        fputs(",\"note\":", out);
        json_string(out, note[0] ? note : NULL);
        fputc('}', out);
    }
    fputs("],\"errors\":", out);
    error_list(out, root); /* the parser's, removed so the restriction check's stand apart */
    int valid = icalrestriction_check(root);
    fprintf(out, ",\"restriction\":%s,\"restriction_errors\":", valid ? "true" : "false");
    error_list(out, root);
    fputs("}\n", out);
    icalcomponent_free(root);
}

int main(void)
{
    icalerror_set_errors_are_fatal(0);
    size_t size;
    while (scanf("%zu", &size) == 1) {
        if (getchar() != '\n') {
            fputs("read_ics: expected a newline after the length\n", stderr);
            return 2;
        }
        char *ics = malloc(size + 1);
        if (ics == NULL || fread(ics, 1, size, stdin) != size) {
            fputs("read_ics: calendar shorter than its length\n", stderr);
            return 2;
        }
        ics[size] = '\0';
        answer(stdout, ics);
        fflush(stdout);
        free(ics);
        icalmemory_free_ring();
    }
    return 0;
}
