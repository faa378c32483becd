"""Column guesses of the CSV/Excel import (brygga/incidents/imports/tabular/guess.py): the time
fields as a date + time-of-day pair or one combined column, ranked by the column names and by
the first rows' values. No database: a guess only reads the file."""

from __future__ import annotations

import io
from datetime import datetime, time

from brygga.incidents.imports import tabular
from brygga.incidents.imports.tabular import guess

from .factories import xlsx


def table(text: str, name: str = "fil.csv") -> tabular.Table:
    f = io.BytesIO(text.encode("utf-8"))
    return tabular.open_table(f, name, tabular.detect(f, name))


def columns(text: str) -> dict[str, str]:
    return tabular.suggest_mapping(table(text)).columns


DATUM_TID = (
    "datum,tid,kategori,lat,lon,plats\n"
    "2024-03-05,21:15,Klotter,62.3908,17.3069,Torget\n"
    "2024-03-06,08:05,Skadegörelser,62.391,17.305,Parken\n"
)


def test_a_date_column_and_a_time_column_are_guessed_as_a_pair():
    assert columns(DATUM_TID) == {
        "date": "datum",
        "time_of_day": "tid",
        "category": "kategori",
        "lat": "lat",
        "lon": "lon",
        "place": "plats",
    }


def test_tid_with_dates_and_times_is_the_combined_field_and_datum_is_left_out():
    guessed = columns(
        "datum,tid,kategori,lat,lon\n2024-03-05,2024-03-05 21:15,Klotter,62.39,17.305\n"
    )
    assert guessed["occurred_at"] == "tid"
    assert "date" not in guessed and "time_of_day" not in guessed


def test_a_column_of_times_is_a_time_column_whatever_its_name():
    guessed = columns("a;b;c\n5.3.2024;21:30;Klotter\n6.3.2024;07:05;Klotter\n")
    assert guessed["date"] == "a" and guessed["time_of_day"] == "b"
    assert "occurred_at" not in guessed


def test_a_column_named_time_with_dates_only_is_not_taken_for_the_time_of_day():
    # "Tidpunkt" names the combined field, but its values are dates: a date column
    guessed = columns("Tidpunkt;Kategori\n2024-03-05;Klotter\n2024-03-06;Klotter\n")
    assert guessed == {"date": "Tidpunkt", "category": "Kategori"}


def test_a_named_pair_outranks_an_unnamed_datetime_column():
    data = (
        "Registrerad;Datum;Klockslag;Typ;N;E\n"
        "2024-03-06 10:00;2024-03-05;2130;Klotter;6920000;618000\n"
    )
    cols = guess.sample(table(data))
    ranked = guess.ranking(cols)
    # the values make "Registrerad" a combined-time candidate without a name for it ...
    assert ranked["occurred_at"] == [("Registrerad", 80)]
    # ... but the named date and time-of-day columns score higher as a pair
    assert ranked["date"][0][0] == "Datum" and ranked["time_of_day"][0][0] == "Klockslag"
    assert guess.guess_columns(cols) == {
        "date": "Datum",
        "time_of_day": "Klockslag",
        "category": "Typ",
        "sweref_e": "E",
        "sweref_n": "N",
    }


def test_ranking_puts_the_name_and_fitting_values_first():
    data = "Tid;Tidpunkt;Skapad\n21:15;2024-03-05 21:15;2024-03-07 09:00\n"
    ranked = guess.ranking(guess.sample(table(data)))
    # "Tid" holds times of day: never the combined field, the best time-of-day column
    assert [c for c, _s in ranked["occurred_at"]] == ["Tidpunkt", "Skapad"]
    assert ranked["time_of_day"][0][0] == "Tid"
    assert ranked["occurred_at"][0][1] > ranked["occurred_at"][1][1]


def test_a_few_bad_values_do_not_change_what_a_named_column_holds():
    rows = "".join(f"2024-03-0{d},1{d}:15,Klotter,62.39,17.305\n" for d in range(1, 6))
    data = "datum,tid,kategori,lat,lon\n" + rows + "2024-03-07,25:99,Klotter,62.39,17.305\n"
    guessed = columns(data)
    assert guessed["date"] == "datum" and guessed["time_of_day"] == "tid"


def test_an_impossible_date_in_a_small_file_does_not_hide_the_time_column():
    data = (
        "Id;Tidpunkt;Kategori\n"
        "A1;2024-03-05 21:30;Klotter\nA2;2024-03-05 21:30;Tags\nA3;2024-02-30;Klotter\n"
    )
    assert columns(data)["occurred_at"] == "Tidpunkt"
    # ... but without a name for the field, the values must all be times
    assert "occurred_at" not in columns(data.replace("Tidpunkt", "Skapad"))


def test_coordinates_outside_sweden_are_not_taken_for_them():
    # a column named E with longitudes is not a SWEREF 99 TM easting (and N not a northing)
    guessed = columns("Datum;Kategori;N;E\n2024-03-05;Klotter;62,3908;17,3069\n")
    assert "sweref_e" not in guessed and "sweref_n" not in guessed
    # without names, decimal coordinates within Sweden are recognised by their values
    guessed = columns("a;b;c;d\n2024-03-05 21:30;Klotter;62,3908;17,3069\n")
    assert guessed["lat"] == "c" and guessed["lon"] == "d" and guessed["occurred_at"] == "a"


def test_without_rows_the_names_decide():
    assert columns("datum;tid;kategori;lat;lon\n") == {
        "date": "datum",
        "category": "kategori",
        "lat": "lat",
        "lon": "lon",
    }
    assert columns("Id;Tidpunkt;Kategori;Lat;Lon\n")["occurred_at"] == "Tidpunkt"


def test_excel_date_and_time_cells_are_a_pair():
    data = xlsx(
        {
            "Blad1": [
                ["Datum", "Kl", "Kategori", "Område"],
                [datetime(2024, 3, 5), time(21, 15), "Klotter", "Centrum"],
                [datetime(2024, 3, 6), time(8, 5), "Klotter", "Centrum"],
            ]
        }
    )
    f = io.BytesIO(data)
    t = tabular.open_table(f, "bok.xlsx", tabular.detect(f, "bok.xlsx"))
    assert tabular.suggest_mapping(t).columns == {
        "date": "Datum",
        "time_of_day": "Kl",
        "category": "Kategori",
        "area": "Område",
    }


def test_header_score_exact_names_before_words_and_list_order():
    assert guess.header_score("date", "Datum") > guess.header_score("date", "Datum för händelse")
    assert guess.header_score("date", "Datum för händelse") > 0
    assert guess.header_score("occurred_at", "Tidpunkt") > guess.header_score("occurred_at", "Tid")
    assert guess.header_score("lat", "Latituden") == 0
