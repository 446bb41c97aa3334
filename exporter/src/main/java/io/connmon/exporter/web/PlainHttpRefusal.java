package io.connmon.exporter.web;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.function.BiFunction;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLEngineResult;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSession;

/**
 * A server SSLEngine that answers a plain-HTTP request sent to the TLS port as Go's net/http (node_exporter)
 * does: {@code 400 Bad Request} with "Client sent an HTTP request to an HTTPS server.", in clear text, then the
 * connection closes. Anything else goes to the JDK's engine unchanged.
 *
 * <p>The first five bytes of a TLS connection are a record header (0x16 0x03 ...). When they read as the start of
 * an HTTP request instead, {@link #unwrap} consumes the request and reports the engine closed; the JDK's
 * HttpsServer then asks {@link #wrap} for its closing bytes and writes them to the client: here, the 400.
 */
final class PlainHttpRefusal extends SSLEngine {

    static final byte[] ANSWER = ("HTTP/1.0 400 Bad Request\r\n\r\n"
            + "Client sent an HTTP request to an HTTPS server.\n").getBytes(StandardCharsets.US_ASCII);

    /** The starts of requests Go's server recognises (methods padded or cut to the 5 bytes of a record header). */
    private static final List<String> HTTP_STARTS = List.of("GET /", "HEAD ", "POST ", "PUT /", "OPTIO");

    private final SSLEngine d;
    private boolean decided;
    private boolean refusing;
    private boolean answered;

    PlainHttpRefusal(SSLEngine delegate) {
        super(delegate.getPeerHost(), delegate.getPeerPort());
        this.d = delegate;
    }

    static boolean looksLikeHttp(ByteBuffer src) {
        if (src.remaining() < 5) {
            return false;
        }
        byte[] head = new byte[5];
        src.duplicate().get(head);
        return HTTP_STARTS.contains(new String(head, StandardCharsets.US_ASCII));
    }

    @Override
    public SSLEngineResult unwrap(ByteBuffer src, ByteBuffer[] dsts, int offset, int length) throws SSLException {
        if (!decided && src.remaining() >= 5) {
            decided = true;
            refusing = looksLikeHttp(src);
        }
        if (refusing) {
            int consumed = src.remaining();
            src.position(src.limit());
            return new SSLEngineResult(SSLEngineResult.Status.CLOSED,
                    answered ? SSLEngineResult.HandshakeStatus.NOT_HANDSHAKING
                            : SSLEngineResult.HandshakeStatus.NEED_WRAP, consumed, 0);
        }
        return d.unwrap(src, dsts, offset, length);
    }

    @Override
    public SSLEngineResult wrap(ByteBuffer[] srcs, int offset, int length, ByteBuffer dst) throws SSLException {
        if (!refusing) {
            return d.wrap(srcs, offset, length, dst);
        }
        if (answered) {
            return new SSLEngineResult(SSLEngineResult.Status.CLOSED,
                    SSLEngineResult.HandshakeStatus.NOT_HANDSHAKING, 0, 0);
        }
        if (dst.remaining() < ANSWER.length) {
            return new SSLEngineResult(SSLEngineResult.Status.BUFFER_OVERFLOW,
                    SSLEngineResult.HandshakeStatus.NEED_WRAP, 0, 0);
        }
        dst.put(ANSWER);
        answered = true;
        return new SSLEngineResult(SSLEngineResult.Status.CLOSED, SSLEngineResult.HandshakeStatus.NOT_HANDSHAKING,
                0, ANSWER.length);
    }

    @Override
    public Runnable getDelegatedTask() {
        return refusing ? null : d.getDelegatedTask();
    }

    @Override
    public void closeInbound() throws SSLException {
        if (!refusing) {
            d.closeInbound();
        }
    }

    @Override
    public boolean isInboundDone() {
        return refusing || d.isInboundDone();
    }

    @Override
    public void closeOutbound() {
        d.closeOutbound();
    }

    @Override
    public boolean isOutboundDone() {
        return refusing ? answered : d.isOutboundDone();
    }

    @Override
    public SSLEngineResult.HandshakeStatus getHandshakeStatus() {
        if (refusing) {
            return answered ? SSLEngineResult.HandshakeStatus.NOT_HANDSHAKING
                    : SSLEngineResult.HandshakeStatus.NEED_WRAP;
        }
        return d.getHandshakeStatus();
    }

    @Override
    public void beginHandshake() throws SSLException {
        d.beginHandshake();
    }

    @Override
    public SSLSession getSession() {
        return d.getSession();
    }

    @Override
    public SSLSession getHandshakeSession() {
        return d.getHandshakeSession();
    }

    @Override
    public SSLParameters getSSLParameters() {
        return d.getSSLParameters();
    }

    @Override
    public void setSSLParameters(SSLParameters params) {
        d.setSSLParameters(params);
    }

    @Override
    public String getApplicationProtocol() {
        return d.getApplicationProtocol();
    }

    @Override
    public String getHandshakeApplicationProtocol() {
        return d.getHandshakeApplicationProtocol();
    }

    @Override
    public void setHandshakeApplicationProtocolSelector(BiFunction<SSLEngine, List<String>, String> selector) {
        d.setHandshakeApplicationProtocolSelector(selector);
    }

    @Override
    public BiFunction<SSLEngine, List<String>, String> getHandshakeApplicationProtocolSelector() {
        return d.getHandshakeApplicationProtocolSelector();
    }

    @Override
    public String[] getSupportedCipherSuites() {
        return d.getSupportedCipherSuites();
    }

    @Override
    public String[] getEnabledCipherSuites() {
        return d.getEnabledCipherSuites();
    }

    @Override
    public void setEnabledCipherSuites(String[] suites) {
        d.setEnabledCipherSuites(suites);
    }

    @Override
    public String[] getSupportedProtocols() {
        return d.getSupportedProtocols();
    }

    @Override
    public String[] getEnabledProtocols() {
        return d.getEnabledProtocols();
    }

    @Override
    public void setEnabledProtocols(String[] protocols) {
        d.setEnabledProtocols(protocols);
    }

    @Override
    public void setUseClientMode(boolean mode) {
        d.setUseClientMode(mode);
    }

    @Override
    public boolean getUseClientMode() {
        return d.getUseClientMode();
    }

    @Override
    public void setNeedClientAuth(boolean need) {
        d.setNeedClientAuth(need);
    }

    @Override
    public boolean getNeedClientAuth() {
        return d.getNeedClientAuth();
    }

    @Override
    public void setWantClientAuth(boolean want) {
        d.setWantClientAuth(want);
    }

    @Override
    public boolean getWantClientAuth() {
        return d.getWantClientAuth();
    }

    @Override
    public void setEnableSessionCreation(boolean flag) {
        d.setEnableSessionCreation(flag);
    }

    @Override
    public boolean getEnableSessionCreation() {
        return d.getEnableSessionCreation();
    }
}
