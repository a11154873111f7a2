package dev.writ.server.forensic;

import dev.writ.server.log.LogException;
import dev.writ.server.log.LogReader;
import dev.writ.server.log.TransparencyLog;
import java.util.List;
import java.util.OptionalLong;

/**
 * What forensics reads from an audit log: the live {@link TransparencyLog} of a running server, or a {@link LogReader} over a
 * data directory (which sees the directory's last flushed checkpoint).
 */
public interface LogSource {
    /** The latest signed checkpoint (signed-note bytes). */
    byte[] checkpoint() throws LogException;

    /** The log's verifier key, {@code name+hash+base64}. */
    String key();

    /** The number of entries readable (the size of {@link #checkpoint()} or more). */
    long size() throws LogException;

    byte[] entry(long index) throws LogException;

    OptionalLong indexOfJti(String jti) throws LogException;

    List<byte[]> inclusionProof(long index, long treeSize) throws LogException;

    /** The live log of a server. */
    static LogSource of(TransparencyLog log) {
        return new LogSource() {
            @Override
            public byte[] checkpoint() throws LogException {
                return log.checkpoint();
            }

            @Override
            public String key() {
                return log.verifier().keyString();
            }

            @Override
            public long size() throws LogException {
                return log.size();
            }

            @Override
            public byte[] entry(long index) throws LogException {
                return log.entry(index);
            }

            @Override
            public OptionalLong indexOfJti(String jti) throws LogException {
                return log.indexOfJti(jti);
            }

            @Override
            public List<byte[]> inclusionProof(long index, long treeSize) throws LogException {
                return log.inclusionProof(index, treeSize);
            }
        };
    }

    /** A read-only log directory, opened with its verifier key. */
    static LogSource of(LogReader reader, String key) {
        return new LogSource() {
            @Override
            public byte[] checkpoint() throws LogException {
                return reader.signedCheckpoint();
            }

            @Override
            public String key() {
                return key;
            }

            @Override
            public long size() throws LogException {
                return reader.size();
            }

            @Override
            public byte[] entry(long index) throws LogException {
                return reader.entry(index);
            }

            @Override
            public OptionalLong indexOfJti(String jti) throws LogException {
                return reader.indexOfJti(jti);
            }

            @Override
            public List<byte[]> inclusionProof(long index, long treeSize) throws LogException {
                return reader.inclusionProof(index, treeSize);
            }
        };
    }
}
