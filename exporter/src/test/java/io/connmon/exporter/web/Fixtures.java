package io.connmon.exporter.web;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/** The openssl-made fixtures of src/test/resources/web (see make-fixtures.sh), copied where a test wants them. */
final class Fixtures {

    /** htpasswd -nbBC 5 alice 'correct horse' */
    static final String ALICE = "$2y$05$SVTdAw7e0HVAxDYlxDT6Eu9sUnVIcJ8looDgQWCUhbRPk6/JrQ65S";
    /** htpasswd -nbBC 5 bob 's3cret:with colon' */
    static final String BOB = "$2y$05$NU89qRQjNHDuCRpwA8G0/OqEIZDwULfy87TERrLHSmHazBfsfMyoG";

    private Fixtures() {
    }

    static byte[] bytes(String name) {
        try (InputStream in = Fixtures.class.getResourceAsStream("/web/" + name)) {
            if (in == null) {
                throw new IllegalArgumentException("no fixture " + name);
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Copies fixture {@code name} to {@code dir/as}. */
    static Path copy(String name, Path dir, String as) {
        try {
            Path to = dir.resolve(as);
            Files.createDirectories(to.getParent());
            Path tmp = Files.createTempFile(to.getParent(), ".fixture", ".tmp");
            Files.write(tmp, bytes(name));
            Files.move(tmp, to, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            return to;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Writes {@code text} to {@code dir/name} in one atomic step, as a careful operator or cert-manager does. */
    static Path write(Path dir, String name, String text) {
        try {
            Path to = dir.resolve(name);
            Path tmp = Files.createTempFile(dir, ".web", ".tmp");
            Files.writeString(tmp, text, StandardCharsets.UTF_8);
            Files.move(tmp, to, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            return to;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
