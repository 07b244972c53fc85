package io.agentlog.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class BrokerOptionsTest {

    @Test
    void shouldOpenNoJmxConnectorUnlessAsked() {
        assertThat(BrokerOptions.defaults(Path.of("x")).jmxPort()).isEqualTo(BrokerOptions.NO_JMX);
    }

    @Test
    void shouldKeepTheJmxPortWhenCopiedToABuilder() {
        BrokerOptions options = BrokerOptions.builder(Path.of("x")).jmxPort(0).build();

        assertThat(options.toBuilder().build().jmxPort()).isZero();
    }

    @Test
    void shouldRefuseAJmxPortOutOfRangeQuotingIt() {
        assertThatThrownBy(
                        () -> BrokerOptions.builder(Path.of("x")).jmxPort(70000).build())
                .hasMessage("jmxPort must be between 0 and 65535, but was 70000");
        assertThatThrownBy(() -> Jmx.loopbackJvmArgs(0))
                .hasMessage("a JMX port must be between 1 and 65535, but was 0");
        assertThat(Jmx.loopbackJvmArgs(9999))
                .contains("-Dcom.sun.management.jmxremote.port=9999", "-Dcom.sun.management.jmxremote.host=127.0.0.1");
    }
}
