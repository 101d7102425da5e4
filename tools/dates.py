#!/usr/bin/env python3
"""Dates as people write them, paired with their ISO 8601 form: the data of the date-normalizer model.

`sample(rng)` draws a calendar date uniformly from 1900-01-01 .. 2099-12-31 and writes it in one of many surface
forms; the target is always YYYY-MM-DD. Forms (separators, padding, case, commas and spacing vary independently):

  numeric, day first     30/11/2026  30-11-26  5.3.2026  05/03/26  30 11 2026
  numeric, month first   11/30/2026  (only when the day is 13..31, see below)
  numeric, year first    2026.11.30  2026-11-30  2026/3/5  20261130
  month name, day first  30 Nov 2026  30th November, 2026  the 30th of November 2026  30-NOV-26  30/Nov/2026
  month name first       November 30th, 2026  Nov. 30 2026  nov 30, '26
  month name, year first 2026 Nov 30  2026-Nov-30
  any of them may start with the weekday: "Mon, 30 Nov 2026", "Monday 30/11/2026", "Monday the 30th of ..."
  (always the right weekday for the date; the model reads past it and does not check it)

Month names are full ("November") or abbreviated ("Nov", "Sept", optionally with a period); weekdays full or
abbreviated ("Mon", "Tues", "Thurs"); words are in title case, lower case, upper case or (rarely) mixed case,
one style per string or, sometimes, per word. Ordinals: 1st 2nd 3rd 4th .. 11th 12th 13th .. 21st 22nd 23rd .. 31st.

Conventions, so that every string has exactly one reading (`--check` verifies it on many samples):

  * Numeric dates are day first: xx/xx/yy and xx/xx/yyyy are day/month/year. The one exception is a first field
    of 1..12 followed by a second field of 13..31, which cannot be day/month: it is read month/day/year
    (11/30/2026 is 30 November). A four-digit first field is a year: yyyy/mm/dd. Eight digits are yyyymmdd.
  * Two-digit years (26, '26) pivot at 50: 00-49 are 2000-2049 and 50-99 are 1950-1999. They are generated only
    for dates in 1950..2049, the years they can name.
  * A month name fixes the month wherever it stands; the number next to it is then the day and the other one the
    year.

No string has leading or trailing spaces or a tab; every character is in ALPHABET; none is longer than
MAX_LENGTH.

Usage:
  python3 tools/dates.py                 write the held-out test set (2,000 pairs, seed TEST_SEED) to
                                         tests/FastRnn.Tests/Fixtures/models/date-test.tsv as input<TAB>output
  python3 tools/dates.py --show 30       print 30 samples
  python3 tools/dates.py --check         check the conventions on 200,000 samples (every input has one output)
"""

import argparse
import datetime
import os
import random
import string

ALPHABET = string.ascii_letters + string.digits + " ,./-'"  # every character sample() can emit
MAX_LENGTH = 48

FIRST_DAY = datetime.date(1900, 1, 1)
LAST_DAY = datetime.date(2099, 12, 31)
PIVOT = 50  # two-digit years: 00..49 -> 20xx, 50..99 -> 19xx
TWO_DIGIT_YEARS = range(1950, 2050)

TEST_SEED = 777001  # the committed test set; training and validation use other seeds and skip these inputs
TEST_COUNT = 2000

MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December"]
MONTH_ABBREVIATIONS = [[m[:3]] for m in MONTHS]
MONTH_ABBREVIATIONS[8].append("Sept")
WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
WEEKDAY_ABBREVIATIONS = [[w[:3]] for w in WEEKDAYS]
WEEKDAY_ABBREVIATIONS[1].append("Tues")
WEEKDAY_ABBREVIATIONS[3] += ["Thur", "Thurs"]


def iso(d):
    return f"{d.year:04d}-{d.month:02d}-{d.day:02d}"


def two_digit_year(year):
    """The year a two-digit year yy stands for (PIVOT)."""
    return 2000 + year if year < PIVOT else 1900 + year


def ordinal(n):
    if 11 <= n % 100 <= 13:
        return f"{n}th"
    return f"{n}{ {1: 'st', 2: 'nd', 3: 'rd'}.get(n % 10, 'th') }"


class Writer:
    """The random choices of one string: case style, spacing, comma habits."""

    def __init__(self, rng):
        self.rng = rng
        r = rng.random()
        self.case = "title" if r < 0.5 else "lower" if r < 0.72 else "upper" if r < 0.94 else "mixed"
        self.per_word = rng.random() < 0.08  # a new style for every word
        self.double_space = rng.random() < 0.08
        self.tight_comma = rng.random() < 0.1  # "30,2026" rather than "30, 2026"

    def word(self, w):
        case = self.case
        if self.per_word:
            case = self.rng.choice(["title", "lower", "upper", "mixed"])
        if case == "lower":
            return w.lower()
        if case == "upper":
            return w.upper()
        if case == "mixed":
            return "".join(ch.upper() if self.rng.random() < 0.5 else ch.lower() for ch in w)
        return w[:1].upper() + w[1:].lower()

    def space(self):
        return "  " if self.double_space and self.rng.random() < 0.5 else " "

    def comma(self):
        """A comma followed by a space (or not), as a separator between words."""
        return "," if self.tight_comma else "," + self.space()

    def maybe_comma(self, p):
        return self.comma() if self.rng.random() < p else self.space()


def day_text(w, day, forms):
    form = w.rng.choice(forms)
    if form == "plain":
        return str(day)
    if form == "padded":
        return f"{day:02d}"
    return w.word(ordinal(day))  # "30th", "30TH"


def year_text(w, year, two_digit, apostrophe=False):
    if not two_digit:
        return str(year)
    return ("'" if apostrophe else "") + f"{year % 100:02d}"


def month_word(w, month):
    rng = w.rng
    if rng.random() < 0.45:
        return w.word(MONTHS[month - 1])
    abbr = w.word(rng.choice(MONTH_ABBREVIATIONS[month - 1]))
    return abbr + ("." if rng.random() < 0.15 else "")


def weekday_prefix(w, d):
    """'' or the weekday and what follows it: "Mon, ", "Monday ", "MON. "."""
    rng = w.rng
    if rng.random() >= 0.3:
        return ""
    wd = d.weekday()
    if rng.random() < 0.45:
        name = w.word(WEEKDAYS[wd])
    else:
        name = w.word(rng.choice(WEEKDAY_ABBREVIATIONS[wd])) + ("." if rng.random() < 0.1 else "")
    return name + w.maybe_comma(0.6)


def numeric(w, d, two_digit):
    rng = w.rng
    sep = rng.choice(["/", "/", "-", "-", ".", ".", " "])
    pad = rng.random() < 0.5
    day, month = (f"{d.day:02d}", f"{d.month:02d}") if pad else (str(d.day), str(d.month))
    if rng.random() < 0.3 and not two_digit:  # year first
        if rng.random() < 0.12:
            return f"{d.year:04d}{d.month:02d}{d.day:02d}"
        return sep.join([str(d.year), month, day])
    year = year_text(w, d.year, two_digit)
    if d.day > 12 and rng.random() < 0.25:  # month first, only where it cannot be read day first
        return sep.join([month, day, year])
    return sep.join([day, month, year])


def named_day_first(w, d, two_digit):
    rng = w.rng
    r = rng.random()
    if r < 0.2:  # 30-Nov-2026, 30/NOV/26: the compact form of logs and forms
        sep = rng.choice(["-", "-", "/", ".", " "])
        return sep.join([day_text(w, d.day, ["plain", "padded"]), w.word(MONTHS[d.month - 1][:3]),
                         year_text(w, d.year, two_digit)])
    if r < 0.35:  # (the) 30th of November(,) 2026
        the = w.word("the") + w.space() if rng.random() < 0.4 else ""
        return (the + day_text(w, d.day, ["ordinal"]) + w.space() + w.word("of") + w.space() + month_word(w, d.month)
                + w.maybe_comma(0.3) + year_text(w, d.year, two_digit, rng.random() < 0.2))
    return (day_text(w, d.day, ["plain", "plain", "padded", "ordinal", "ordinal"]) + w.space()
            + month_word(w, d.month) + w.maybe_comma(0.15) + year_text(w, d.year, two_digit, rng.random() < 0.15))


def named_month_first(w, d, two_digit):
    rng = w.rng
    return (month_word(w, d.month) + w.space() + day_text(w, d.day, ["plain", "plain", "padded", "ordinal"])
            + w.maybe_comma(0.6) + year_text(w, d.year, two_digit, rng.random() < 0.3))


def named_year_first(w, d):
    sep = w.rng.choice([" ", "-", "/", "."])
    return sep.join([str(d.year), month_word(w, d.month), day_text(w, d.day, ["plain", "padded"])])


def render(rng, d):
    """One surface form of date d."""
    w = Writer(rng)
    two_digit = d.year in TWO_DIGIT_YEARS and rng.random() < 0.35
    r = rng.random()
    if r < 0.4:
        body = numeric(w, d, two_digit)
    elif r < 0.7:
        body = named_day_first(w, d, two_digit)
    elif r < 0.93:
        body = named_month_first(w, d, two_digit)
    else:
        body = named_year_first(w, d)
    text = weekday_prefix(w, d) + body
    if text != body and body.lower().startswith("the "):  # "Monday the 30th of ...": no comma before "the"
        text = text[:-len(body)].rstrip(", ") + w.space() + body
    assert len(text) <= MAX_LENGTH and set(text) <= set(ALPHABET) and text == text.strip(), text
    return text


def random_date(rng):
    return FIRST_DAY + datetime.timedelta(days=rng.randrange((LAST_DAY - FIRST_DAY).days + 1))


def sample(rng):
    """(input text, ISO date) for one uniformly drawn date."""
    d = random_date(rng)
    return render(rng, d), iso(d)


def pairs(seed, count, exclude=frozenset()):
    """`count` pairs from random.Random(seed), skipping inputs in `exclude` and repeats."""
    rng = random.Random(seed)
    out, seen = [], set(exclude)
    while len(out) < count:
        text, target = sample(rng)
        if text not in seen:
            seen.add(text)
            out.append((text, target))
    return out


def read_tsv(path):
    with open(path, encoding="utf-8") as f:
        return [tuple(line.rstrip("\n").split("\t")) for line in f]


def write_tsv(path, rows):
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        for text, target in rows:
            assert "\t" not in text and "\n" not in text
            f.write(f"{text}\t{target}\n")


def check(count, seed):
    """Every input has a single output, every weekday is right, and the year pivot holds."""
    rng = random.Random(seed)
    meaning = {}
    for _ in range(count):
        d = random_date(rng)
        text = render(rng, d)
        assert meaning.setdefault(text, iso(d)) == iso(d), (text, meaning[text], iso(d))
        lower = text.lower()
        named = [n for n, full in enumerate(WEEKDAYS) if lower.startswith(full[:3].lower())]
        if named:
            assert named == [d.weekday()], (text, iso(d))
    print(f"{count} samples, {len(meaning)} distinct inputs: each has one output")


def main():
    repo = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default=os.path.join(repo, "tests", "FastRnn.Tests", "Fixtures", "models",
                                                  "date-test.tsv"))
    ap.add_argument("--seed", type=int, default=TEST_SEED)
    ap.add_argument("--count", type=int, default=TEST_COUNT)
    ap.add_argument("--show", type=int, metavar="N", help="print N samples instead of writing the file")
    ap.add_argument("--check", action="store_true", help="check the conventions on 200,000 samples")
    args = ap.parse_args()
    if args.check:
        check(200_000, args.seed)
    elif args.show:
        for text, target in pairs(args.seed, args.show):
            print(f"{target}  {text}")
    else:
        write_tsv(args.out, pairs(args.seed, args.count))
        print(f"wrote {args.count} pairs (seed {args.seed}) to {os.path.relpath(args.out, repo)}")


if __name__ == "__main__":
    main()
