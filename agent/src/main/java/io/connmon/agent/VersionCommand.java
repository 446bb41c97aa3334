package io.connmon.agent;

import io.connmon.exporter.BuildInfo;
import picocli.CommandLine.Command;

/** {@code connmon version}. */
@Command(name = "version", mixinStandardHelpOptions = true, description = "Print connmon's version.")
final class VersionCommand implements Runnable {
    @Override
    public void run() {
        System.out.println("connmon " + BuildInfo.version() + " (Java " + Runtime.version() + ")");
    }
}
