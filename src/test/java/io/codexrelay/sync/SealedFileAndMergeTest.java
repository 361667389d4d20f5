package io.codexrelay.sync;

import io.codexrelay.account.Account;
import io.codexrelay.account.Credentials;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The sealed accounts file (round trip, tamper and passphrase refusal) and the merge rules of import and sync. */
class SealedFileAndMergeTest {
    private static final Instant T1 = Instant.parse("2026-01-01T00:00:00Z"), T2 = Instant.parse("2026-02-01T00:00:00Z");

    @Test
    void sealsAndOpensAndRefusesTamperingOrAWrongPassphrase() throws Exception {
        char[] pass = "four words of passphrase".toCharArray();
        byte[] sealed = SealedFile.seal("secret accounts".getBytes(StandardCharsets.UTF_8), pass);
        assertThat(new String(sealed, StandardCharsets.UTF_8)).doesNotContain("secret accounts").contains("\"iterations\" : 600000");
        assertThat(new String(SealedFile.open(sealed, pass), StandardCharsets.UTF_8)).isEqualTo("secret accounts");
        assertThat(SealedFile.seal("x".getBytes(), pass)).isNotEqualTo(SealedFile.seal("x".getBytes(), pass));   // fresh salt and nonce

        assertThatThrownBy(() -> SealedFile.open(sealed, "another passphrase".toCharArray()))
                .isInstanceOf(SealedFile.OpenException.class).hasMessageContaining("Wrong passphrase");
        String text = new String(sealed, StandardCharsets.UTF_8);
        String lowered = text.replace("600000", "600001");   // a changed header fails like a wrong passphrase
        assertThatThrownBy(() -> SealedFile.open(lowered.getBytes(StandardCharsets.UTF_8), pass))
                .hasMessageContaining("integrity check");
        assertThatThrownBy(() -> SealedFile.open("hello".getBytes(), pass)).hasMessageContaining("not a codex-relay accounts file");
        assertThatThrownBy(() -> SealedFile.open(text.replace("\"version\" : 1", "\"version\" : 9").getBytes(StandardCharsets.UTF_8), pass))
                .hasMessageContaining("version 9");
    }

    private static Account chatgpt(long id, String name, String access, Instant refreshed, int priority, Instant updated) {
        return new Account(id, name, Account.Kind.CHATGPT, true, priority, null,
                new Credentials.ChatGptTokens("id", access, "r-" + access, "acct-1", refreshed), null, null, null, updated, updated);
    }

    private static AccountBundle bundleOf(String by, Account... accounts) {
        return new AccountBundle(by, T2, java.util.Arrays.stream(accounts).map(a -> AccountBundle.entryOf(a, by)).toList());
    }

    @Test
    void importTakesNewerTokensOnlyAndNeverRemoves() throws Exception {
        Account mine = chatgpt(7, "pro", "old", T1, 100, T1);
        Account key = new Account(8, "k", Account.Kind.API_KEY, true, 100, null, new Credentials.ApiKey("sk-1", "https://x/v1"),
                null, null, null, T1, T1);
        var newer = AccountMerge.plan(List.of(mine, key), bundleOf("laptop", chatgpt(1, "renamed", "new", T2, 100, T1)), null, "desk", T2);
        assertThat(newer.updates()).singleElement().satisfies(a -> {
            assertThat(a.id()).isEqualTo(7);
            assertThat(a.name()).isEqualTo("pro");
            assertThat(((Credentials.ChatGptTokens) a.credentials()).accessToken()).isEqualTo("new");
        });
        assertThat(newer.removals()).isEmpty();
        assertThat(newer.refreshedBy()).containsEntry("chatgpt:acct-1", "laptop");

        var older = AccountMerge.plan(List.of(chatgpt(7, "pro", "new", T2, 100, T2)), bundleOf("laptop", mine), null, "desk", T2);
        assertThat(older.updates()).isEmpty();
        assertThat(older.changes()).singleElement().satisfies(c -> assertThat(c.action()).isEqualTo(AccountMerge.Action.KEEP_LOCAL));

        // the same identity is never added twice; a taken name gets a suffix
        Account other = new Account(0, "k", Account.Kind.API_KEY, true, 5, null, new Credentials.ApiKey("sk-2", "https://x/v1"),
                null, null, null, T2, T2);
        var added = AccountMerge.plan(List.of(key), bundleOf("laptop", key, other), null, "desk", T2);
        assertThat(added.inserts()).singleElement().satisfies(a -> assertThat(a.name()).isEqualTo("k-2"));
    }

    /** An API key's own WebSocket setting travels with it (on, off, or absent: the pool-wide setting). */
    @Test
    void anApiKeysWebSocketSettingSurvivesTheFile() throws Exception {
        List<Account> keys = new java.util.ArrayList<>();
        Boolean[] settings = {Boolean.TRUE, Boolean.FALSE, null};
        for (int i = 0; i < settings.length; i++) {
            keys.add(new Account(i + 1, "k" + i, Account.Kind.API_KEY, true, 100, null,
                    new Credentials.ApiKey("sk-" + i, "https://x/v1", io.codexrelay.account.Wire.RESPONSES, List.of(), settings[i]),
                    null, null, null, T1, T1));
        }
        AccountBundle read = AccountBundle.fromJson(bundleOf("laptop", keys.toArray(Account[]::new)).toJson());
        assertThat(read.accounts()).extracting(e -> ((Credentials.ApiKey) e.credentials()).websocket())
                .containsExactly(Boolean.TRUE, Boolean.FALSE, null);
        // and an account added by an import or a sync keeps it
        var plan = AccountMerge.plan(List.of(), read, null, "desk", T2);
        assertThat(plan.inserts()).extracting(a -> ((Credentials.ApiKey) a.credentials()).websocket())
                .containsExactly(Boolean.TRUE, Boolean.FALSE, null);
    }

    @Test
    void syncUsesTheLastAgreementToTellRemovalsFromAdditionsAndWarnsAboutDoubleRefresh() throws Exception {
        Account a = chatgpt(1, "pro", "t1", T1, 100, T1);
        Map<String, AccountMerge.BaseEntry> base = Map.of("chatgpt:acct-1", new AccountMerge.BaseEntry(T1, "desk"));
        var removedThere = AccountMerge.plan(List.of(a), new AccountBundle("laptop", T2, List.of()), base, "desk", T2);
        assertThat(removedThere.removals()).containsExactly("pro");
        var removedHere = AccountMerge.plan(List.of(), bundleOf("laptop", a), base, "desk", T2);
        assertThat(removedHere.inserts()).isEmpty();
        var newThere = AccountMerge.plan(List.of(), bundleOf("laptop", a), Map.of(), "desk", T2);
        assertThat(newThere.inserts()).hasSize(1);

        Account refreshedHere = chatgpt(1, "pro", "here", T2, 100, T2);
        Account refreshedThere = chatgpt(1, "pro", "there", T2.plusSeconds(60), 100, T2);
        var both = AccountMerge.plan(List.of(refreshedHere), bundleOf("laptop", refreshedThere), base, "desk", T2);
        assertThat(both.warnings()).singleElement().asString().contains("refreshed on this machine and on 'laptop'");
        assertThat(both.updates()).singleElement().satisfies(x ->
                assertThat(((Credentials.ChatGptTokens) x.credentials()).accessToken()).isEqualTo("there"));
    }
}
