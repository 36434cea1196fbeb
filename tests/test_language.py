"""The runtime's own small English: words, numbers, arithmetic and how an utterance ends."""

from __future__ import annotations

import pytest

from microturn._core._language import (
    Arithmetic,
    Shape,
    is_backchannel,
    is_noise,
    number_value,
    numbers_in,
    parse_arithmetic,
    say_number,
    shape,
    words,
)

# --- words -----------------------------------------------------------------------------------------


def test_words_are_lower_case_with_inner_apostrophes_and_hyphens() -> None:
    assert words("Don't STOP, it's well-known!") == ["don't", "stop", ",", "it's", "well-known"]


def test_words_keep_numerals_whole_with_their_decimal_point_or_thousands_comma() -> None:
    assert words("It costs 3.50 or 1,000 dollars.") == ["it", "costs", "3.50", "or", "1,000", "dollars", "."]


def test_words_keep_noise_tags_and_question_marks() -> None:
    assert words("So [cough] what?") == ["so", "[cough]", "what", "?"]
    assert words("Well [background noise] okay") == ["well", "[background noise]", "okay"]


def test_words_keep_arithmetic_symbols_and_ellipses() -> None:
    assert words("2 + 3 * 4 / 5 - 1") == ["2", "+", "3", "*", "4", "/", "5", "-", "1"]
    assert words("and then…") == ["and", "then", "…"]


def test_words_of_nothing_is_nothing() -> None:
    assert words("") == []
    assert words("   !! ") == []


# --- numbers ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("token", "value"),
    [
        ("zero", 0.0),
        ("seven", 7.0),
        ("nineteen", 19.0),
        ("twenty", 20.0),
        ("ninety", 90.0),
        ("hundred", 100.0),
        ("thousand", 1000.0),
        ("42", 42.0),
        ("3.5", 3.5),
        ("1,000", 1000.0),
    ],
)
def test_number_value_of_number_words_and_numerals(token: str, value: float) -> None:
    assert number_value(token) == value


@pytest.mark.parametrize("token", ["cat", "", "twentyish", "a", "once", ",", "[cough]"])
def test_number_value_of_other_tokens_is_none(token: str) -> None:
    assert number_value(token) is None


def test_numbers_in_gives_number_tokens_as_written_in_order() -> None:
    assert numbers_in("I have 3 cats, twenty two dogs and 1,000 fish") == ["3", "twenty", "two", "1,000"]


def test_numbers_in_text_without_numbers_is_empty() -> None:
    assert numbers_in("no numbers here, honestly") == []


@pytest.mark.parametrize(("value", "said"), [(5.0, "5"), (-3.0, "-3"), (2.5, "2.5"), (1 / 3, "0.3333")])
def test_say_number_drops_a_zero_fraction_and_keeps_four_digits(value: float, said: str) -> None:
    assert say_number(value) == said


# --- arithmetic --------------------------------------------------------------------------------------


def test_parse_arithmetic_finds_the_expression_in_a_question() -> None:
    assert parse_arithmetic("what is 2 plus 3") == Arithmetic(numbers=(2.0, 3.0), operators=("+",))


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("what is 2 plus 3 times 4", 14.0),
        ("2 times 3 plus 4", 10.0),
        ("what is 2 minus 3 times 4 plus 1", -9.0),
        ("10 minus 4 minus 3", 3.0),
        ("8 divided by 2 divided by 2", 2.0),
        ("12 over 4 times 3", 9.0),
        ("six multiplied by seven", 42.0),
        ("three x four", 12.0),
        ("2 + 3 * 4", 14.0),
        ("7 - 2", 5.0),
        ("9 / 3", 3.0),
        ("1.5 times 4", 6.0),
    ],
)
def test_arithmetic_value_multiplies_and_divides_before_adding_and_subtracting(text: str, value: float) -> None:
    expression = parse_arithmetic(text)
    assert expression is not None
    assert expression.value() == pytest.approx(value)
    assert expression.claimed is None


@pytest.mark.parametrize(
    ("text", "numbers"),
    [
        ("twenty three plus four", (23.0, 4.0)),
        ("what is forty two minus seven", (42.0, 7.0)),
        ("ninety nine divided by three", (99.0, 3.0)),
        ("twenty plus five", (20.0, 5.0)),
    ],
)
def test_parse_arithmetic_joins_compound_number_words(text: str, numbers: tuple[float, ...]) -> None:
    expression = parse_arithmetic(text)
    assert expression is not None
    assert expression.numbers == numbers


def test_parse_arithmetic_scales_hundreds() -> None:
    # "one hundred plus one" is 101 (the scripted model answers it, and a wrong-fact cue checks it).
    expression = parse_arithmetic("what is one hundred plus one")
    assert expression is not None
    assert expression.numbers == (100.0, 1.0)
    assert expression.value() == 101.0


@pytest.mark.parametrize(
    ("text", "claimed"),
    [
        ("two plus two is five", 5.0),
        ("seven plus five is thirteen", 13.0),
        ("six times seven equals forty two", 42.0),
        ("twenty three plus four is twenty seven", 27.0),
        ("3 plus 4 makes 8", 8.0),
        ("two plus two is four and three times three is nine", 4.0),  # the first expression
        ("two plus two is five hundred", 500.0),  # a scale word multiplies: "five hundred"
    ],
)
def test_parse_arithmetic_reads_a_claimed_result(text: str, claimed: float) -> None:
    expression = parse_arithmetic(text)
    assert expression is not None
    assert expression.claimed == claimed


def test_a_claim_after_an_equals_sign_is_read() -> None:
    # "=" is one of the equals words, so typed arithmetic claims a result like spoken arithmetic does.
    expression = parse_arithmetic("2 + 2 = 5")
    assert expression is not None
    assert expression.claimed == 5.0


def test_a_claim_with_no_number_after_is_no_claim() -> None:
    expression = parse_arithmetic("two plus two is what")
    assert expression is not None
    assert expression.claimed is None
    assert expression.value() == 4.0


@pytest.mark.parametrize(
    "text",
    [
        "what is seven",
        "hello there",
        "a plus b",
        "plus five",
        "two plus",
        "two and two",
        "",
        "is five",
    ],
)
def test_no_arithmetic_without_an_operator_between_numbers(text: str) -> None:
    assert parse_arithmetic(text) is None


def test_division_by_zero_parses_and_value_raises() -> None:
    expression = parse_arithmetic("ten divided by zero")
    assert expression == Arithmetic(numbers=(10.0, 0.0), operators=("/",))
    with pytest.raises(ZeroDivisionError):
        expression.value()


def test_arithmetic_is_spoken_with_digits_and_operator_words() -> None:
    expression = parse_arithmetic("what is twelve over 4 times three minus 1.5 plus 2")
    assert expression is not None
    assert expression.spoken == "12 divided by 4 times 3 minus 1.5 plus 2"


# --- the shape of a turn -------------------------------------------------------------------------------

INCOMPLETE, COMPLETE, QUESTION = Shape.INCOMPLETE, Shape.COMPLETE, Shape.QUESTION


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # trailing conjunctions and subordinators
        ("I went to the shop and", INCOMPLETE),
        ("we could go to the park or", INCOMPLETE),
        ("I wanted to come but", INCOMPLETE),
        ("I stayed home because", INCOMPLETE),
        ("let me know if", INCOMPLETE),
        ("I'll call you when", INCOMPLETE),
        ("the guy who", INCOMPLETE),
        # trailing prepositions
        ("I'm flying to", INCOMPLETE),
        ("what is the weather in", INCOMPLETE),
        ("the meeting is at", INCOMPLETE),
        ("I was thinking about", INCOMPLETE),
        ("tell me about", INCOMPLETE),
        ("put it between", INCOMPLETE),
        # trailing articles, determiners and possessives
        ("I went to the", INCOMPLETE),
        ("can I have a", INCOMPLETE),
        ("I need an", INCOMPLETE),
        ("I lost my", INCOMPLETE),
        ("have you seen their", INCOMPLETE),
        # auxiliaries and subjects that cannot end a clause
        ("she is", INCOMPLETE),
        ("I think I will", INCOMPLETE),
        ("and then we", INCOMPLETE),
        ("I really", INCOMPLETE),
        # fillers
        ("so I was um", INCOMPLETE),
        ("the thing is uh", INCOMPLETE),
        ("it was, like", INCOMPLETE),
        ("hmm", INCOMPLETE),
        # punctuation that trails off
        ("so,", INCOMPLETE),
        ("first we go north,", INCOMPLETE),
        ("I went there...", INCOMPLETE),
        ("I went there…", INCOMPLETE),
        ("and then -", INCOMPLETE),
        # complete statements
        ("I like pizza", COMPLETE),
        ("my name is John", COMPLETE),
        ("the weather is nice today.", COMPLETE),
        ("tell me the time", COMPLETE),
        ("let me think", COMPLETE),
        ("thanks a lot", COMPLETE),
        ("it is okay with me", COMPLETE),
        ("I'm done.", COMPLETE),
        ("no, I don't", COMPLETE),
        ("hello", COMPLETE),
        ("uh huh", COMPLETE),
        # "so" after a verb of thinking ends a sentence
        ("I think so", COMPLETE),
        ("I hope so", COMPLETE),
        ("I guess so.", COMPLETE),
        ("that is so", INCOMPLETE),
        # wh- questions
        ("what time is it", QUESTION),
        ("where is the station", QUESTION),
        ("who wrote Hamlet", QUESTION),
        ("why is the sky blue", QUESTION),
        ("how does this work", QUESTION),
        ("which one", QUESTION),
        ("what's your name", QUESTION),
        ("how's it going", QUESTION),
        # yes/no questions
        ("is it raining", QUESTION),
        ("can you help me", QUESTION),
        ("do you know what I mean", QUESTION),
        ("did you see it", QUESTION),
        ("would you like some tea", QUESTION),
        ("have you been there", QUESTION),
        # a question mark makes a question of anything
        ("you're sure?", QUESTION),
        ("and?", QUESTION),
        ("what is the weather in?", QUESTION),
        # stranded prepositions end questions
        ("where are you from", QUESTION),
        ("who did she go with", QUESTION),
        ("what are we waiting for", QUESTION),
        ("who is it for", QUESTION),
        ("what are you looking at", QUESTION),
        ("what is it like", QUESTION),
        # ...but not when the question is only just starting
        ("what is", INCOMPLETE),
        ("how", INCOMPLETE),
        ("where in", INCOMPLETE),
        ("and what about", INCOMPLETE),
        ("can you tell me how", INCOMPLETE),
        # noise tags are not words
        ("hello [cough]", COMPLETE),
        ("I went to the [noise]", INCOMPLETE),
        ("what time is it [laughter]", QUESTION),
        ("[cough]", INCOMPLETE),
        ("", INCOMPLETE),
        ("?", QUESTION),
        (", .", INCOMPLETE),
    ],
)
def test_shape(text: str, expected: Shape) -> None:
    assert shape(text) is expected


def test_shape_ignores_case_and_surrounding_space() -> None:
    assert shape("  WHERE ARE YOU FROM  ") is Shape.QUESTION
    assert shape("I Went To The  ") is Shape.INCOMPLETE


# --- backchannels and noise ---------------------------------------------------------------------------


@pytest.mark.parametrize("token", ["[cough]", "[noise]", "[background noise]", "[laughter]"])
def test_bracketed_tags_are_noise(token: str) -> None:
    assert is_noise(token)


@pytest.mark.parametrize("token", ["cough", "[cough", "cough]", "", "mm-hm"])
def test_words_are_not_noise(token: str) -> None:
    assert not is_noise(token)


@pytest.mark.parametrize(
    "text",
    [
        "mm-hm",
        "Mm-hmm.",
        "uh-huh",
        "yeah",
        "yeah, right",
        "okay!",
        "OK",
        "oh wow",
        "[cough] okay",
        "[cough]",
        "sure, sure",
        "exactly",
    ],
)
def test_backchannels(text: str) -> None:
    assert is_backchannel(text)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "  ",
        "!",
        "yeah but",
        "okay so what about Paris",
        "stop",
        "wait",
        "no",
        "yeah, and then?",
        "right, tell me more",
        "um",
    ],
)
def test_not_backchannels(text: str) -> None:
    assert not is_backchannel(text)
