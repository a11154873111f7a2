package dev.writ.core.log;

import java.io.IOException;

/** Fetches tlog-tiles resources (from a directory, a running log, or over HTTP). */
@FunctionalInterface
public interface TileReader {
    /**
     * Returns the bytes of the tile or entry bundle at {@code path}.
     *
     * @throws IOException when the resource cannot be fetched
     */
    byte[] read(TilePath path) throws IOException;
}
