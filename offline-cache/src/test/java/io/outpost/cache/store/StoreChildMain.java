package io.outpost.cache.store;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * A child JVM for the multi-process tests. Prints its protocol lines to stdout (logging goes to
 * stderr, see logback-test.xml):
 * <ul>
 *   <li>{@code writer FILE PREFIX}: writes and commits forever, single puts and three-key
 *       transactions, printing {@code COMMITTED key} after each commit has returned.</li>
 *   <li>{@code hold FILE}: opens the store, prints {@code READY}, keeps it open until stdin closes.</li>
 *   <li>{@code probe FILE}: tries to open the store once and prints {@code OPENED} or {@code LOCKED message}.</li>
 *   <li>{@code torn FILE POINT N}: commits {@code base-0..49} (printing them), then runs a transaction
 *       (adds {@code tx-0..29}, rewrites {@code base-0}, removes {@code base-1}) and halts the JVM when its
 *       commit reaches {@link JournaledVolume.CrashPoint} {@code POINT} with {@code N} pages applied,
 *       printing {@code HALTING} first; prints {@code COMPLETED} if that point never came.</li>
 * </ul>
 */
public final class StoreChildMain {

    private StoreChildMain() {
    }

    /** The value the writer stores under {@code key}: derived from the key, 1..3000 bytes. */
    static byte[] valueFor(String key) {
        byte[] seed = key.getBytes(StandardCharsets.UTF_8);
        int length = 1 + Math.floorMod(key.hashCode(), 3000);
        byte[] value = new byte[length];
        for (int i = 0; i < length; i++) {
            value[i] = (byte) (seed[i % seed.length] + i);
        }
        return value;
    }

    public static void main(String[] args) throws IOException {
        PrintStream out = new PrintStream(System.out, false, StandardCharsets.UTF_8);
        Path file = Path.of(args[1]);
        switch (args[0]) {
            case "writer" -> write(file, args[2], out);
            case "hold" -> hold(file, out);
            case "probe" -> probe(file, out);
            case "torn" -> torn(file, args[2], Integer.parseInt(args[3]), out);
            default -> throw new IllegalArgumentException("unknown mode " + args[0]);
        }
    }

    private static void write(Path file, String prefix, PrintStream out) {
        DurableStore store = DurableStore.open(file);
        DurableMap keys = store.map("keys");
        DurableMap scratch = store.map("scratch");
        for (long i = 0; ; i++) {
            if (i % 7 == 6) {
                String a = prefix + "-t" + i + "-a";
                String b = prefix + "-t" + i + "-b";
                String c = prefix + "-t" + i + "-c";
                store.transaction(() -> {
                    keys.put(a, valueFor(a));
                    keys.put(b, valueFor(b));
                    scratch.put("last", valueFor(a));
                    keys.put(c, valueFor(c));
                });
                out.println("COMMITTED " + a);
                out.println("COMMITTED " + b);
                out.println("COMMITTED " + c);
            } else {
                String k = prefix + "-k" + i;
                keys.put(k, valueFor(k));
                if (i % 4 == 0) { // overwrites and removes too, without tripling the commit count
                    scratch.put("tmp" + (i % 5), valueFor(k));
                    scratch.remove("tmp" + ((i + 2) % 5));
                }
                out.println("COMMITTED " + k);
            }
            out.flush();
        }
    }

    private static void hold(Path file, PrintStream out) throws IOException {
        try (DurableStore store = DurableStore.open(file)) {
            store.map("held").put("by", Long.toString(ProcessHandle.current().pid()).getBytes(StandardCharsets.UTF_8));
            out.println("READY");
            out.flush();
            InputStream in = System.in;
            while (in.read() >= 0) {
                // wait for the parent to close stdin
            }
        }
        out.println("CLOSED");
        out.flush();
    }

    private static void torn(Path file, String point, int pagesApplied, PrintStream out) {
        DurableStore store = DurableStore.open(file);
        DurableMap map = store.map("torn");
        for (int i = 0; i < 50; i++) {
            map.put("base-" + i, valueFor("base-" + i));
            out.println("COMMITTED base-" + i);
        }
        out.flush();
        JournaledVolume.crashPoint = (reached, applied) -> {
            if (reached.equals(point) && applied == pagesApplied) {
                out.println("HALTING at " + reached + " " + applied);
                out.flush();
                Runtime.getRuntime().halt(137); // like kill -9: no shutdown hooks, no close
            }
        };
        store.transaction(() -> {
            for (int i = 0; i < 30; i++) {
                map.put("tx-" + i, valueFor("tx-" + i));
            }
            map.put("base-0", valueFor("rewritten"));
            map.remove("base-1");
        });
        out.println("COMPLETED");
        out.flush();
    }

    private static void probe(Path file, PrintStream out) {
        try (DurableStore store = DurableStore.open(file)) {
            out.println("OPENED");
        } catch (StoreLockedException e) {
            out.println("LOCKED " + e.getMessage());
        }
        out.flush();
    }
}
