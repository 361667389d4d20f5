package io.codexrelay.app;

import io.codexrelay.account.OAuthLogin;

import java.io.BufferedReader;
import java.io.PrintStream;
import java.net.http.HttpClient;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;

/**
 * "Log in with ChatGPT" (OAuth PKCE, the local callback on 127.0.0.1:1455 as Codex does) for every front end: the
 * Accounts tab ({@link #start}) and {@code accounts login} in a terminal ({@link #inBrowser}, {@link #manual}). The
 * login is saved through {@link ControlApi#addChatGptLogin}, so a running daemon gets the account at once. The clock
 * and the HTTP client are injected: the flow is the same one in the daemon, the CLI and the tests.
 */
public final class ChatGptLogins {
    private final Clock clock;
    private final HttpClient http;

    public ChatGptLogins(Clock clock, HttpClient http) {
        this.clock = clock;
        this.http = http;
    }

    /** The usual client for a login: connect timeout as configured ({@code upstream.connect_timeout}). */
    public static ChatGptLogins create(Clock clock, Duration connectTimeout) {
        return new ChatGptLogins(clock, HttpClient.newBuilder().connectTimeout(connectTimeout).build());
    }

    private OAuthLogin login(ControlApi control, List<Integer> ports) throws ControlException {
        Object issuer = control.config().getOrDefault("upstream.oauth_issuer", "https://auth.openai.com");
        return new OAuthLogin(String.valueOf(issuer).replaceAll("/+$", ""), http, clock, new SecureRandom(),
                ports == null || ports.isEmpty() ? OAuthLogin.DEFAULT_PORTS : ports);
    }

    /**
     * Starts a login whose end comes from the browser's redirect or from {@link ControlApi.ChatGptLogin#completeWith};
     * the caller shows or opens {@link ControlApi.ChatGptLogin#authorizeUrl()}.
     */
    public ControlApi.ChatGptLogin start(ControlApi control, String name) throws ControlException {
        OAuthLogin.Session session;
        try {
            session = login(control, null).start(true);
        } catch (OAuthLogin.LoginException e) {
            throw new ControlException(e.getMessage(), e);
        }
        var out = new CompletableFuture<AccountStatus>();
        session.result().whenComplete((r, ex) -> {
            try {
                if (ex != null) {
                    Throwable c = ex instanceof CompletionException && ex.getCause() != null ? ex.getCause() : ex;
                    out.completeExceptionally(c instanceof ControlException ? c : new ControlException(c.getMessage(), c));
                } else {
                    out.complete(control.addChatGptLogin(name, LoginTokens.of(r.tokens())));
                }
            } catch (ControlException e) {
                out.completeExceptionally(e);
            } finally {
                session.close();
            }
        });
        // Nobody signs in for ten minutes: give up and free the callback port, as the CLI does.
        CompletableFuture.delayedExecutor(OAuthLogin.DEFAULT_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)
                .execute(() -> { if (!out.isDone()) session.cancel(); });
        return new ControlApi.ChatGptLogin() {
            @Override public String authorizeUrl() { return session.authorizeUrl(); }
            @Override public CompletableFuture<AccountStatus> result() { return out; }
            @Override public void completeWith(String redirectUrl) throws ControlException {
                try {
                    session.completeWith(redirectUrl);
                } catch (OAuthLogin.LoginException e) {
                    throw new ControlException(e.getMessage(), e);
                }
            }
            @Override public void cancel() { session.cancel(); }
        };
    }

    /** {@code accounts login}: opens the browser (or prints the URL), waits for the callback, saves the account. */
    public AccountStatus inBrowser(ControlApi control, String name, PrintStream out, List<Integer> ports, Duration timeout)
            throws ControlException {
        try {
            return control.addChatGptLogin(name, LoginTokens.of(login(control, ports).loginWithBrowser(OAuthLogin.Browser.desktop(), out, timeout).tokens()));
        } catch (OAuthLogin.LoginException e) {
            throw new ControlException(e.getMessage(), e);
        }
    }

    /** {@code accounts login --manual}: prints the URL and reads the address the browser ended on from {@code in}. */
    public AccountStatus manual(ControlApi control, String name, BufferedReader in, PrintStream out, List<Integer> ports,
                                Duration timeout) throws ControlException {
        try {
            return control.addChatGptLogin(name, LoginTokens.of(login(control, ports).loginManual(in, out, timeout).tokens()));
        } catch (OAuthLogin.LoginException e) {
            throw new ControlException(e.getMessage(), e);
        }
    }
}
