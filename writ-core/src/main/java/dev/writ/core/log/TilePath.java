package dev.writ.core.log;

/**
 * The address of one C2SP tlog-tiles resource: a hash tile {@code tile/<L>/<N>[.p/<W>]} or an entry bundle
 * {@code tile/entries/<N>[.p/<W>]}.
 *
 * <p>{@code N} is written in zero-padded 3-digit groups, all but the last prefixed with {@code x} (index 1234067 is
 * {@code x001/x234/067}). A width of 256 means a full tile; 1–255 a partial one. {@link #parse} accepts exactly the
 * canonical spelling and nothing else, so one resource has one path.
 *
 * @param level tile level 0–63, or {@link #ENTRIES} for an entry bundle
 * @param index tile index within its level
 * @param width number of hashes or entries, 1–256 (256 = full)
 */
public record TilePath(int level, long index, int width) {
    /** Tile height in levels: each tile spans 8 Merkle levels, so a full tile holds 256 hashes. */
    public static final int HEIGHT = 8;
    /** Hashes (or entries) in a full tile. */
    public static final int FULL_WIDTH = 256;
    /** The pseudo-level of entry bundles. */
    public static final int ENTRIES = -1;

    public TilePath {
        if (level < ENTRIES || level > 63) {
            throw new IllegalArgumentException("tile level must be between 0 and 63");
        }
        if (index < 0) {
            throw new IllegalArgumentException("tile index must not be negative");
        }
        if (width < 1 || width > FULL_WIDTH) {
            throw new IllegalArgumentException("tile width must be between 1 and 256");
        }
    }

    /** Whether this addresses an entry bundle rather than a hash tile. */
    public boolean isEntries() {
        return level == ENTRIES;
    }

    /** Whether the tile is full (256 wide). */
    public boolean isFull() {
        return width == FULL_WIDTH;
    }

    /** The path relative to the log prefix, e.g. {@code tile/0/x001/234.p/7} or {@code tile/entries/000}. */
    public String path() {
        StringBuilder sb = new StringBuilder("tile/");
        sb.append(isEntries() ? "entries" : Integer.toString(level)).append('/');
        sb.append(encodeIndex(index));
        if (!isFull()) {
            sb.append(".p/").append(width);
        }
        return sb.toString();
    }

    @Override
    public String toString() {
        return path();
    }

    /** Encodes a tile index into 3-digit groups, all but the last prefixed with {@code x}. */
    public static String encodeIndex(long n) {
        if (n < 0) {
            throw new IllegalArgumentException("tile index must not be negative");
        }
        String last = String.format("%03d", n % 1000);
        StringBuilder prefix = new StringBuilder();
        for (long rest = n / 1000; rest > 0; rest /= 1000) {
            prefix.insert(0, String.format("x%03d/", rest % 1000));
        }
        return prefix + last;
    }

    /**
     * Parses a path relative to the log prefix ({@code tile/...}). Only the canonical form is accepted: no leading
     * zeros in levels or widths, no empty or extra segments, groups of exactly three digits.
     *
     * @throws IllegalArgumentException when the path is not a canonical tile path
     */
    public static TilePath parse(String path) {
        if (path == null || !path.startsWith("tile/")) {
            throw new IllegalArgumentException("not a tile path");
        }
        String[] parts = path.substring(5).split("/", -1);
        if (parts.length < 2) {
            throw new IllegalArgumentException("not a tile path");
        }
        int level;
        if (parts[0].equals("entries")) {
            level = ENTRIES;
        } else {
            level = (int) parseDecimal(parts[0], 63);
        }
        int end = parts.length;
        int width = FULL_WIDTH;
        String lastGroup = parts[end - 1];
        if (end >= 3 && parts[end - 2].endsWith(".p")) {
            width = (int) parseDecimal(parts[end - 1], 255);
            if (width == 0) {
                throw new IllegalArgumentException("partial tile width must be between 1 and 255");
            }
            lastGroup = parts[end - 2].substring(0, parts[end - 2].length() - 2);
            end -= 1;
        }
        long index = 0;
        int groups = end - 1;
        if (groups > 7) {
            throw new IllegalArgumentException("tile index too large");
        }
        for (int i = 1; i < end; i++) {
            String g = i == end - 1 ? lastGroup : parts[i];
            boolean last = i == end - 1;
            if (!last) {
                if (!g.startsWith("x")) {
                    throw new IllegalArgumentException("tile index group must start with x");
                }
                g = g.substring(1);
            }
            if (g.length() != 3 || !isDigits(g)) {
                throw new IllegalArgumentException("tile index group must be three digits");
            }
            try {
                index = Math.addExact(Math.multiplyExact(index, 1000), Integer.parseInt(g));
            } catch (ArithmeticException e) {
                throw new IllegalArgumentException("tile index too large");
            }
        }
        TilePath p = new TilePath(level, index, width);
        // Canonical form only: "x000/001" and "001" name the same tile, and only the second is valid.
        if (!p.path().equals(path)) {
            throw new IllegalArgumentException("tile path is not canonical");
        }
        return p;
    }

    private static long parseDecimal(String s, long max) {
        if (s.isEmpty() || s.length() > 3 || !isDigits(s) || (s.length() > 1 && s.charAt(0) == '0')) {
            throw new IllegalArgumentException("not a canonical decimal number");
        }
        long v = Long.parseLong(s);
        if (v > max) {
            throw new IllegalArgumentException("number out of range");
        }
        return v;
    }

    private static boolean isDigits(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < '0' || c > '9') {
                return false;
            }
        }
        return true;
    }
}
