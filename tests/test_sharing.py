"""The session's apps share their routes' compiled URL builders (tests/sharing.py): each still builds its own URLs."""

from werkzeug.routing import BaseConverter, Map, Rule

from tests.sharing import share_url_builders


def converter(prefix: str):
    class Prefixed(BaseConverter):
        def to_url(self, value):
            return prefix + super().to_url(value)

    return Prefixed


def test_a_shared_builder_builds_with_each_maps_own_converters_and_defaults():
    share_url_builders()  # conftest did; a second call changes nothing
    first = Map([Rule("/p/<thing:v>", endpoint="p"), Rule("/d/<int:n>", endpoint="d", defaults={"n": 1})],
                converters={"thing": converter("A-")})
    second = Map([Rule("/p/<thing:v>", endpoint="p"), Rule("/d/<int:n>", endpoint="d", defaults={"n": 2})],
                 converters={"thing": converter("B-")})
    one, two = first.bind("example.kz"), second.bind("example.kz")
    assert first._rules_by_endpoint["p"][0]._build_unknown.__func__ \
        is second._rules_by_endpoint["p"][0]._build_unknown.__func__
    assert (one.build("p", {"v": "x", "q": "1"}), two.build("p", {"v": "x"})) == ("/p/A-x?q=1", "/p/B-x")
    assert (one.build("d"), two.build("d")) == ("/d/1", "/d/2")
