"""jsonstream.loads parses with orjson where it gives json's values: the same value or the
same error as json alone, for the cases where the two libraries differ."""

import pytest

from analyzer.io import jsonstream
from analyzer.io.limits import Limits, RecordLimitError

CASES = [
    '{"id": "c1", "text": "hi", "likes": 3, "score": 1.5}', '{"a": 1, "a": 2, "b": 3}',
    '12345678901234567890123456789', '{"x": 18446744073709551615}', '{"x": 18446744073709551616}',
    '{"x": -9223372036854775809}', '[1, 99999999999999999999]', '{"a": {"b": 99999999999999999999}}',
    '{"a": 1.5, "b": 12345678901234567890123}', '{"a": "x", "b": -12345678901234567890}', 'NaN', '{"x": Infinity}', '{"x": -Infinity}', '1e400',
    '"\\ud800"', '"\\udc00x"', '{"t": "broken \\ud83d emoji"}', '{"\\ud83d": 1}', '"\\ud83d\\ude00"',
    '"a\tb"', '"a\x01b"', '{"a": 1}\n', ' {"a": 1}\r\n', '{"a": 1}\x0c', '[1,]', '01', '-0', '-0.0',
    '0.1000000000000000055511151231257827', '4.9e-324', '"\\u0000"', '{"a": 1} x', '', '{"a": 1,}',
    '[' * 70 + ']' * 70, '{"a":' * 65 + '1' + '}' * 65, '[' * 2000 + ']' * 2000, '1' * 5000,
]


def _outcome(text):
    try:
        return "value", repr(jsonstream.loads(text, Limits()))
    except (ValueError, RecordLimitError) as exc:
        return type(exc).__name__, str(exc)


@pytest.mark.parametrize("text", CASES)
def test_loads_with_orjson_equals_json_alone(text, monkeypatch):
    assert jsonstream.orjson is not None, "orjson is a core dependency"
    fast = _outcome(text)
    monkeypatch.setattr(jsonstream, "orjson", None)
    assert fast == _outcome(text)


def test_big_integers_stay_integers():
    assert jsonstream.loads('{"likes": 18446744073709551616, "f": 0.5}', Limits()) == {"likes": 2**64, "f": 0.5}
    assert jsonstream.loads('{"t": "\\ud83d"}', Limits()) == {"t": "\ufffd"}
