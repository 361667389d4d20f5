package io.codexrelay.proxy;

import io.codexrelay.account.Account;
import io.codexrelay.account.Credentials;
import io.codexrelay.config.RelayConfig;
import org.eclipse.jetty.client.Request;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpHeader;
import org.junit.jupiter.api.Test;

import java.net.URI;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Upstream addresses are parsed once per text, not per request, and parse exactly as {@link URI#create} does. */
class UpstreamAddressTest {

    @Test
    void theSameAddressIsParsedOnceAndReadAsURICreateReadsIt() {
        try (UpstreamClient client = new UpstreamClient(RelayConfig.defaults().upstream())) {
            URI first = client.address("https://chatgpt.com/backend-api/codex/responses").uri();
            assertThat(first).isEqualTo(URI.create("https://chatgpt.com/backend-api/codex/responses"));
            assertThat(client.address("https://chatgpt.com/backend-api/codex/responses").uri()).isSameAs(first);
            URI withQuery = client.address("http://127.0.0.1:8080/v1/models?client_version=0.169.0").uri();
            assertThat(withQuery.getRawQuery()).isEqualTo("client_version=0.169.0");
            assertThat(withQuery.getPort()).isEqualTo(8080);
        }
    }

    @Test
    void manyDifferentAddressesNeverGrowWithoutBoundAndStillParse() {
        try (UpstreamClient client = new UpstreamClient(RelayConfig.defaults().upstream())) {
            URI kept = null;
            for (int i = 0; i < 1000; i++) {
                URI u = client.address("http://127.0.0.1:9/v1/models?n=" + i).uri();
                assertThat(u.getRawQuery()).isEqualTo("n=" + i);
                if (i == 999) kept = u;
            }
            assertThat(client.address("http://127.0.0.1:9/v1/models?n=999").uri()).isSameAs(kept);
            assertThat(client.addressesKept()).isLessThanOrEqualTo(64);
        }
    }

    @Test
    void eachRequestCarriesTheHostHeaderJettyWouldWriteSoJettyNeedNotBuildTheAddressAgain() {
        try (UpstreamClient client = new UpstreamClient(RelayConfig.defaults().upstream())) {
            // Jetty's rule: the host, and the port unless it is the scheme's default (even when the address names it)
            assertThat(hostOf(client.newPost("https://api.example.com/v1/chat/completions"))).isEqualTo("api.example.com");
            assertThat(hostOf(client.newPost("https://api.example.com:443/v1/chat/completions"))).isEqualTo("api.example.com");
            assertThat(hostOf(client.newPost("http://127.0.0.1:8080/v1/chat/completions"))).isEqualTo("127.0.0.1:8080");
            assertThat(hostOf(client.newPost("http://[::1]:8080/v1/messages"))).isEqualTo("[::1]:8080");
            assertThat(client.address("http://127.0.0.1:8080/v1/chat/completions").host())
                    .isSameAs(client.address("http://127.0.0.1:8080/v1/chat/completions").host());

            Account key = new Account(1, "k", Account.Kind.API_KEY, true, 1, null,
                    new Credentials.ApiKey("sk-test", "http://127.0.0.1:9999/v1"), null, null, null, null, null);
            Request forwarded = client.newRequest(key, Route.RESPONSES, null,
                    HttpFields.build().add(HttpHeader.HOST, "127.0.0.1:1455").add("x-custom", "1"), new byte[0]);
            assertThat(forwarded.getHeaders().getValuesList(HttpHeader.HOST)).containsExactly("127.0.0.1:9999");
            assertThat(forwarded.getHeaders().get("x-custom")).isEqualTo("1");
        }
    }

    private static String hostOf(Request r) {
        assertThat(r.getHeaders().getValuesList(HttpHeader.HOST)).hasSize(1);
        return r.getHeaders().get(HttpHeader.HOST);
    }

    @Test
    void aMalformedAddressFailsAsBeforeAndIsNotKept() {
        try (UpstreamClient client = new UpstreamClient(RelayConfig.defaults().upstream())) {
            assertThatThrownBy(() -> client.address("http://bad host/v1").uri()).isInstanceOf(IllegalArgumentException.class);
            assertThat(client.addressesKept()).isZero();
        }
    }
}
