package org.hast.daemon.log;

import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.Configurator;
import ch.qos.logback.classic.spi.ConfiguratorRank;
import ch.qos.logback.core.spi.ContextAwareBase;
import ch.qos.logback.core.status.NopStatusListener;

/**
 * logback's configuration, in code, found through {@code META-INF/services}. It runs before
 * logback would look for {@code logback.xml} and stops the search, so start-up scans no XML
 * and the first log call already prints pjdlog lines (not logback's default console layout).
 * The no-op status listener keeps logback from ever printing its own status messages.
 */
@ConfiguratorRank(ConfiguratorRank.CUSTOM_TOP_PRIORITY)
public final class HastLogConfigurator extends ContextAwareBase implements Configurator {
    public HastLogConfigurator() {
    }

    @Override
    public ExecutionStatus configure(LoggerContext context) {
        context.getStatusManager().add(new NopStatusListener());
        HastLogging.installDefault(context);
        return ExecutionStatus.DO_NOT_INVOKE_NEXT_IF_ANY;
    }
}
