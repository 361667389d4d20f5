package io.codexrelay.app;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.Configurator;
import ch.qos.logback.core.ConsoleAppender;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;

import java.util.ServiceLoader;

import static org.assertj.core.api.Assertions.assertThat;

/** The logging the process starts with, now set in code instead of logback.xml (issue 9: 600 fewer classes). */
class LogDefaultsTest {

    @Test
    void logbackFindsItAsItsConfigurator() {
        assertThat(ServiceLoader.load(Configurator.class).stream().map(p -> p.type().getName()))
                .contains(LogDefaults.class.getName());
    }

    @Test
    void infoToStderrAndJettyOnlyFromWarn() {
        LoggerContext ctx = new LoggerContext();
        LogDefaults d = new LogDefaults();
        d.setContext(ctx);
        assertThat(d.configure(ctx)).isEqualTo(Configurator.ExecutionStatus.DO_NOT_INVOKE_NEXT_IF_ANY);
        ch.qos.logback.classic.Logger root = ctx.getLogger(Logger.ROOT_LOGGER_NAME);
        assertThat(root.getLevel()).isEqualTo(Level.INFO);
        assertThat(ctx.getLogger("org.eclipse.jetty.server.Server").getEffectiveLevel()).isEqualTo(Level.WARN);
        assertThat(ctx.getLogger("io.codexrelay.app.RelayApp").getEffectiveLevel()).isEqualTo(Level.INFO);
        var appender = root.getAppender("STDERR");
        assertThat(appender).isInstanceOf(ConsoleAppender.class);
        assertThat(((ConsoleAppender<?>) appender).getTarget()).isEqualTo("System.err");
        assertThat(appender.isStarted()).isTrue();
        ctx.stop();
    }

    @Test
    void aConfigurationFileTheUserNamesStillWins() {
        String before = System.getProperty("logback.configurationFile");
        System.setProperty("logback.configurationFile", "/nonexistent/logback.xml");
        try {
            LoggerContext ctx = new LoggerContext();
            LogDefaults d = new LogDefaults();
            d.setContext(ctx);
            assertThat(d.configure(ctx)).isEqualTo(Configurator.ExecutionStatus.INVOKE_NEXT_IF_ANY);
            assertThat(ctx.getLogger(Logger.ROOT_LOGGER_NAME).getAppender("STDERR")).isNull();
        } finally {
            if (before == null) System.clearProperty("logback.configurationFile");
            else System.setProperty("logback.configurationFile", before);
        }
    }
}
