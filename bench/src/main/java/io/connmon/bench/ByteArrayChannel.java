package io.connmon.bench;

import java.nio.ByteBuffer;
import java.nio.channels.ReadableByteChannel;

/**
 * A readable channel over a byte array: one {@code ByteBuffer.put} (an array copy) per read, no locks and no
 * intermediate buffer, so that the benchmarks measure the parser and the reader rather than the channel.
 * {@code Channels.newChannel(new ByteArrayInputStream(bytes))} would add a synchronized stream and an 8 KiB
 * transfer buffer.
 */
final class ByteArrayChannel implements ReadableByteChannel {

    private final byte[] bytes;
    private int pos;
    private boolean open = true;

    ByteArrayChannel(byte[] bytes) {
        this.bytes = bytes;
    }

    @Override
    public int read(ByteBuffer dst) {
        if (pos >= bytes.length) {
            return -1;
        }
        int n = Math.min(dst.remaining(), bytes.length - pos);
        dst.put(bytes, pos, n);
        pos += n;
        return n;
    }

    @Override
    public boolean isOpen() {
        return open;
    }

    @Override
    public void close() {
        open = false;
    }
}
