package io.agentlog.testkit;

import java.io.IOException;
import java.io.InputStream;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.util.Arrays;

/**
 * Entry point of an attached child JVM: runs {@code <mainClass> <args...>} and exits when the parent goes away.
 *
 * <p>The parent keeps the child's standard input open as a pipe and never writes to it; when the parent dies, even
 * by SIGKILL, the pipe reaches end of file and this JVM exits through its shutdown hooks (so a broker shuts down
 * cleanly). Without this, a test JVM killed by a timeout would leave its broker running forever.
 */
public final class ExitWithParent {

    /** Exit status when the parent went away. */
    static final int PARENT_GONE = 143;

    private ExitWithParent() {}

    public static void main(String[] args) throws Throwable {
        if (args.length < 1) {
            System.err.println("usage: ExitWithParent <main class> [args...]");
            System.exit(2);
        }
        Thread watcher = new Thread(ExitWithParent::exitAtEndOfInput, "exit-with-parent");
        watcher.setDaemon(true);
        watcher.start();

        Method main = Class.forName(args[0]).getMethod("main", String[].class);
        try {
            main.invoke(null, (Object) Arrays.copyOfRange(args, 1, args.length));
        } catch (InvocationTargetException e) {
            throw e.getCause();
        }
    }

    private static void exitAtEndOfInput() {
        InputStream in = System.in;
        byte[] buffer = new byte[256];
        try {
            while (in.read(buffer) >= 0) {
                // the parent writes nothing; anything read is ignored
            }
        } catch (IOException e) {
            // a broken pipe means the same as end of input: the parent is gone
        }
        System.exit(PARENT_GONE);
    }
}
