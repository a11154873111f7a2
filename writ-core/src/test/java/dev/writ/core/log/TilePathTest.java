package dev.writ.core.log;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.LongRange;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class TilePathTest {
    @Test
    void encodesIndexInGroupsOfThree() {
        assertThat(TilePath.encodeIndex(0)).isEqualTo("000");
        assertThat(TilePath.encodeIndex(67)).isEqualTo("067");
        assertThat(TilePath.encodeIndex(1000)).isEqualTo("x001/000");
        assertThat(TilePath.encodeIndex(1234067)).isEqualTo("x001/x234/067");
        assertThat(new TilePath(0, 1234067, 256).path()).isEqualTo("tile/0/x001/x234/067");
        assertThat(new TilePath(2, 5, 17).path()).isEqualTo("tile/2/005.p/17");
        assertThat(new TilePath(TilePath.ENTRIES, 1234, 256).path()).isEqualTo("tile/entries/x001/234");
        assertThat(new TilePath(TilePath.ENTRIES, 0, 3).path()).isEqualTo("tile/entries/000.p/3");
    }

    @Test
    void parsesCanonicalPaths() {
        assertThat(TilePath.parse("tile/0/x001/x234/067")).isEqualTo(new TilePath(0, 1234067, 256));
        assertThat(TilePath.parse("tile/entries/000.p/3")).isEqualTo(new TilePath(-1, 0, 3));
        assertThat(TilePath.parse("tile/63/001.p/255")).isEqualTo(new TilePath(63, 1, 255));
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "tile/0/1",
                "tile/0/0001",
                "tile/00/000",
                "tile/64/000",
                "tile/-1/000",
                "tile/0/x000/001",
                "tile/0/001/002",
                "tile/0/x001",
                "tile/0/000.p/0",
                "tile/0/000.p/256",
                "tile/0/000.p/07",
                "tile/0/000.p/",
                "tile/0/000.p",
                "tile/0/000/",
                "tile/0//000",
                "tile/entries/",
                "tile/entry/000",
                "tile/0/abc",
                "tile/0/x00a/000",
                "tiles/0/000",
                "tile/0/+01",
                "tile/0/x001/x002/x003/x004/x005/x006/x007/000",
                ""
            })
    void rejectsMalformedPaths(String p) {
        assertThatThrownBy(() -> TilePath.parse(p)).isInstanceOf(IllegalArgumentException.class);
    }

    @Property
    void roundTrips(
            @ForAll @LongRange(min = 0, max = Long.MAX_VALUE / 256) long index,
            @ForAll @IntRange(min = -1, max = 63) int level,
            @ForAll @IntRange(min = 1, max = 256) int width) {
        TilePath p = new TilePath(level, index, width);
        assertThat(TilePath.parse(p.path())).isEqualTo(p);
    }
}
