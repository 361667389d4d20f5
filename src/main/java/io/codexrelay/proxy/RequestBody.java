package io.codexrelay.proxy;

import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Request;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * Reads a request body once, without blocking (the one copy of the read loop): {@link #keep} reads it into memory up
 * to a limit; {@link #drop} reads what is left and throws it away, so that an answer to a refused request reaches a
 * client that is still sending.
 *
 * <p>Memory follows the bytes that arrive, never the {@code Content-Length} header (headers alone declaring 33 MB
 * used to reserve 33 MB): the body is collected in pieces that grow from 16 KiB to 1 MiB, each reserved in the
 * {@link BodyBudget} first, and joined into one array at the end. Once half of a declared length has arrived, what
 * came so far moves into one array of exactly that length and the rest is read straight into it: at most twice the
 * bytes that came, as the growing pieces are, and no last copy of the whole body (a 64 KB body of Codex's allocated
 * 178 KB that way, 114 KB now). What the kept body holds stays reserved until the caller releases it
 * ({@code body.length} bytes) when its request ends.
 */
final class RequestBody implements Runnable, org.eclipse.jetty.util.thread.Invocable {
    /**
     * Non-blocking: when more of the body arrives Jetty runs the read loop on its selector thread instead of handing
     * it to a pool thread (what follows the last byte, starting the turn or answering a refusal, never blocks either).
     */
    @Override
    public InvocationType getInvocationType() { return InvocationType.NON_BLOCKING; }

    private static final int FIRST_PIECE = 16 * 1024;
    private static final int LARGEST_PIECE = 1024 * 1024;

    private final Request request;
    private final long max;
    private final BodyBudget budget;
    private final Consumer<byte[]> done;
    private final Runnable overLimit;
    private final Runnable overBudget;
    private final Consumer<Throwable> failed;
    /** Null when the body is dropped. */
    private final List<byte[]> pieces;
    private byte[] piece;
    private int pieceUsed;
    private long reserved;
    private long seen;
    /** The first piece's size: the declared length when it is smaller than {@link #FIRST_PIECE}. */
    private final int firstPiece;
    /** The declared length ({@code Content-Length}), or -1. */
    private final long declared;
    /** Whether the body has moved into one array of the declared length (see the class comment); decided once. */
    private boolean whole;
    /** Runs once, the first time the body is not all there and the read loop has to wait for more (may be null). */
    private Runnable beforeFirstWait;

    private RequestBody(Request request, long max, BodyBudget budget, boolean keep, Consumer<byte[]> done,
                        Runnable overLimit, Runnable overBudget, Consumer<Throwable> failed) {
        this.request = request;
        this.max = max;
        this.budget = budget;
        this.pieces = keep ? new ArrayList<>() : null;
        this.done = done;
        this.overLimit = overLimit;
        this.overBudget = overBudget;
        this.failed = failed;
        // A small declared length is believed for the first piece only (it cannot pin more than 16 KiB): most
        // requests are a few kB, and a piece of exactly their size is kept as the body without a second copy.
        this.declared = request.getLength();
        this.firstPiece = declared > 0 && declared < FIRST_PIECE ? (int) declared : FIRST_PIECE;
    }

    /**
     * Reads the whole body and hands it to {@code done} (its {@code length} bytes stay reserved in {@code budget}; the
     * caller releases them). Past {@code max} bytes runs {@code tooLarge}; when the budget has no room runs
     * {@code noMemory} (both answer, after dropping the rest); nothing stays reserved then, nor after {@code failed}.
     */
    static void keep(Request request, long max, BodyBudget budget, Consumer<byte[]> done, Runnable tooLarge,
                     Runnable noMemory, Consumer<Throwable> failed) {
        keep(request, max, budget, null, done, tooLarge, noMemory, failed);
    }

    /**
     * As {@link #keep(Request, long, BodyBudget, Consumer, Runnable, Runnable, Consumer)}; {@code beforeFirstWait} runs
     * once, before the loop first waits for more of the body (most bodies arrive with their headers and never wait).
     */
    static void keep(Request request, long max, BodyBudget budget, Runnable beforeFirstWait, Consumer<byte[]> done,
                     Runnable tooLarge, Runnable noMemory, Consumer<Throwable> failed) {
        RequestBody b = new RequestBody(request, max, budget, true, done, tooLarge, noMemory, failed);
        b.beforeFirstWait = beforeFirstWait;
        b.run();
    }

    /** Reads what is left of the body (up to {@code max} bytes) and drops it, then runs {@code then} (once). */
    static void drop(Request request, long max, Runnable then) {
        new RequestBody(request, max, null, false, b -> then.run(), then, then, x -> then.run()).run();
    }

    @Override
    public void run() {
        while (true) {
            Content.Chunk chunk = request.read();
            if (chunk == null) {
                Runnable first = beforeFirstWait;
                if (first != null) {
                    beforeFirstWait = null;
                    first.run();
                }
                request.demand(this);
                return;
            }
            if (Content.Chunk.isFailure(chunk)) {
                releaseAll();
                failed.accept(chunk.getFailure());
                return;
            }
            boolean last = chunk.isLast();
            int n = chunk.remaining();
            boolean over = seen + n > max;
            boolean noRoom = false;
            try {
                if (!over && pieces != null) noRoom = !copy(chunk.getByteBuffer());
            } finally {
                chunk.release();
            }
            if (over || noRoom) {
                releaseAll();
                (over ? overLimit : overBudget).run();
                return;
            }
            seen += n;
            if (last) {
                if (pieces == null) {
                    done.accept(null);
                    return;
                }
                byte[] body = join();
                if (body == null) {
                    overBudget.run();
                    return;
                }
                done.accept(body);
                return;
            }
        }
    }

    /** Copies {@code buf} into the pieces, reserving each new piece first; false when the budget has no room. */
    private boolean copy(java.nio.ByteBuffer buf) {
        if (!whole && halfOfDeclaredHere(buf.remaining()) && !becomeWhole()) return false;
        while (buf.hasRemaining()) {
            if (piece == null || pieceUsed == piece.length) {
                if (piece != null) pieces.add(piece);
                int size = piece == null ? firstPiece : Math.min(LARGEST_PIECE, Math.max(FIRST_PIECE, piece.length * 2));
                if (!budget.tryReserve(size)) return false;
                reserved += size;
                piece = new byte[size];
                pieceUsed = 0;
            }
            int k = Math.min(buf.remaining(), piece.length - pieceUsed);
            buf.get(piece, pieceUsed, k);
            pieceUsed += k;
        }
        return true;
    }

    /** Whether, with {@code arriving} more bytes, half of the declared length has come (a length within the limit). */
    private boolean halfOfDeclaredHere(int arriving) {
        return declared > 0 && declared <= max && declared <= Integer.MAX_VALUE - 16 && 2 * (seen + arriving) >= declared;
    }

    /**
     * Moves what came so far into one array of exactly the declared length, which the rest of the body fills (the
     * join then keeps it as it is); false when the budget has no room for it. Should more bytes come than declared
     * (Jetty stops a body at its length), the pieces simply grow again past it and the join copies, as before.
     */
    private boolean becomeWhole() {
        whole = true;
        int size = (int) declared;
        if (pieces.isEmpty() && piece != null && piece.length == size) return true; // a small body's first piece is it
        if (!budget.tryReserve(size)) return false;
        byte[] all = new byte[size];
        int at = 0;
        for (byte[] p : pieces) {
            System.arraycopy(p, 0, all, at, p.length);
            at += p.length;
        }
        if (piece != null) {
            System.arraycopy(piece, 0, all, at, pieceUsed);
            at += pieceUsed;
        }
        budget.release(reserved);
        reserved = size;
        pieces.clear();
        piece = all;
        pieceUsed = at;
        return true;
    }

    /** One array of exactly the body's bytes (reserved), the pieces released; null when the budget has no room. */
    private byte[] join() {
        int total = (int) seen;
        if (pieces.isEmpty() && piece != null && pieceUsed == piece.length) {
            // One piece holds it exactly: keep it as it is.
            budget.release(reserved - total);
            return piece;
        }
        if (!budget.tryReserve(total)) {
            releaseAll();
            return null;
        }
        byte[] out = new byte[total];
        int at = 0;
        for (byte[] p : pieces) {
            System.arraycopy(p, 0, out, at, p.length);
            at += p.length;
        }
        if (piece != null) System.arraycopy(piece, 0, out, at, pieceUsed);
        releaseAll();
        return out;
    }

    private void releaseAll() {
        if (budget != null) budget.release(reserved);
        reserved = 0;
        clearPieces();
    }

    private void clearPieces() {
        if (pieces != null) pieces.clear();
        piece = null;
    }
}
