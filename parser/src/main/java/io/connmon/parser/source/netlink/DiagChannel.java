package io.connmon.parser.source.netlink;

import java.io.IOException;
import java.nio.ByteBuffer;

/** A sock_diag socket as the source uses it: {@link SockDiagSocket} on a host, a scripted one in tests. */
interface DiagChannel extends AutoCloseable {

    /** Sends a request, the buffer from 0 to its limit. */
    void send(ByteBuffer request) throws IOException;

    /** Receives one datagram into the buffer, leaving position 0 and the limit at its end. */
    void receive(ByteBuffer buffer) throws IOException;

    @Override
    void close();

    /** Opens a channel. */
    interface Opener {
        DiagChannel open() throws IOException;
    }
}
