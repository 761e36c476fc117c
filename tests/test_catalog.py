"""One Catalog object: the drama and channel CSVs are read once and shared by the
linking, mentions and region stages."""

from __future__ import annotations

import pytest

from analyzer.errors import ConfigError
from analyzer.io import catalog as catalog_module
from analyzer.io.catalog import Catalog, bundled
from analyzer.schema import Comment
from analyzer.stages.link import DramaLinkStage
from analyzer.stages.mentions import MentionStage
from analyzer.stages.region import RegionStage

DRAMAS = """drama_id,title,original_title,aliases,genre,year,episodes,cast,characters
moon-river,Moon River,月河,Nguyệt Hà|MR,xianxia,2030,40,Lin Feng=林风/Feng Lin,Bai Qing=白青
"""
CHANNELS = """channel,platform,region,region_confidence,note
Moon TV Vietnam,youtube,VN,0.9,regional
"""


@pytest.fixture
def reads(monkeypatch):
    """The paths read_catalog_rows was asked for, in order."""
    seen = []
    real = catalog_module.read_catalog_rows

    def counting(path, *args, **kwargs):
        seen.append(str(path))
        return real(path, *args, **kwargs)

    monkeypatch.setattr(catalog_module, "read_catalog_rows", counting)
    return seen


def test_stages_share_one_catalog_and_read_each_file_once(tmp_path, reads):
    dramas, channels = tmp_path / "dramas.csv", tmp_path / "channels.csv"
    dramas.write_text(DRAMAS, encoding="utf-8")
    channels.write_text(CHANNELS, encoding="utf-8")
    shared = Catalog.load(dramas=dramas, channels=channels)
    assert Catalog.load(dramas=str(dramas), channels=str(channels)) is shared
    link, mentions = DramaLinkStage(catalog=shared), MentionStage(catalog=shared)
    region = RegionStage(channels=shared)
    DramaLinkStage(catalog=shared)  # a second link stage reuses the index
    assert sorted(reads) == sorted([bundled("dramas.csv"), str(dramas), str(channels)])
    comment = Comment(id="1", text="Lin Feng in Moon River", clean_text="Lin Feng in Moon River",
                      extra={"channel_title": "Moon TV Vietnam"})
    linked = link([comment])[0]
    assert linked.drama == "Moon River" and mentions.mentions(comment.text) == ("cast:Lin Feng",)
    assert region([linked])[0].region == "VN"
    assert link.describe()["catalog"] == str(dramas) and mentions.describe()["catalog"] == str(dramas)
    assert region.describe()["channels"] == str(channels)


def test_stages_given_paths_share_the_catalog_of_those_files(tmp_path, reads):
    path = tmp_path / "dramas.csv"
    path.write_text(DRAMAS, encoding="utf-8")
    link, mentions = DramaLinkStage(catalog=path), MentionStage(catalog=path)
    assert reads.count(str(path)) == 1
    assert link.catalog.titles["moon-river"] == "Moon River" and mentions.index.drama_keys["月河"] == "moon-river"


def test_an_edited_catalog_is_read_again(tmp_path):
    path = tmp_path / "dramas.csv"
    path.write_text(DRAMAS, encoding="utf-8")
    first = Catalog.load(dramas=path)
    path.write_text(DRAMAS.replace("Moon River,", "Moon River Returns,"), encoding="utf-8")
    second = Catalog.load(dramas=path)
    assert second is not first and second.titles["moon-river"] == "Moon River Returns"


def test_shipped_paths_and_none_are_the_same_catalog():
    assert Catalog.load() is Catalog.load(dramas=bundled("dramas.csv"), channels=bundled("channels.csv"))
    drama = next(d for d in Catalog.load().dramas if d.drama_id == "the-untamed")
    assert "CQL" in drama.aliases and drama.genre == "xianxia" and any(p.startswith("Xiao Zhan=") for p in drama.cast)


def test_bad_channel_rows_name_file_and_line(tmp_path):
    path = tmp_path / "channels.csv"
    path.write_text("channel,platform,region,region_confidence,note\nX,youtube,VN,high,\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"channels.csv:2: expected channel,platform,region,region_confidence"):
        RegionStage(channels=path)
    with pytest.raises(ConfigError, match="'channels' parameter of RegionStage must be a path, a Catalog or None"):
        RegionStage(channels=3)
