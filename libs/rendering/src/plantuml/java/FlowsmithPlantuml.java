// PlantUML's pipe mode (`java -jar plantuml.jar -pipe`), on a pool of threads instead of one diagram
// at a time. Run with Java's single-file source launcher, which compiles it in memory at start
// (the runtime image has no javac; the JRE's jdk.compiler module is enough):
//
//   java <flags> -cp plantuml.jar FlowsmithPlantuml.java <threads> <max output bytes>
//
// Compiling costs each JVM ~1.5 s and ~50 MB, so the engine compiles it once into a cache folder
// (`java -cp plantuml.jar FlowsmithPlantuml.java --compile <this file> <folder>`) and starts
// `java -cp plantuml.jar:<folder> FlowsmithPlantuml …` from then on (plantuml-process.ts).
//
// Each diagram goes through PlantUML's own Pipe class with the options the pipe mode parsed from
// `-tsvg -pipe -charset UTF-8 -pipenostderr -nometadata` (or -ttxt / -tutxt for text), so the bytes that come back are exactly
// what the pipe wrote for it (the SVG, or "ERROR", the line and the message). Security settings
// (PLANTUML_SECURITY_PROFILE) come as JVM properties, as for the pipe.
//
// Framing, big-endian, on stdin and on the real stdout (System.out goes to stderr, so nothing
// PlantUML prints can break a frame):
//   request:  int id, byte output, int length, `length` bytes of UTF-8 source (one @start…@end diagram)
//     output 0: SVG (-tsvg); 1: ASCII art (-ttxt); 2: Unicode art (-tutxt)
//   response: int id, byte status, int length, `length` bytes
//     status 0: what the pipe wrote; 1: an exception from PlantUML (its toString());
//     2: the heap ran out under this diagram; 3: the output passed <max output bytes> (no bytes).
// The JVM exits when stdin closes. A diagram that never finishes cannot be stopped from here: the
// Node side answers its caller at the deadline and replaces this JVM (plantuml-pool.ts).

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

import javax.tools.ToolProvider;

import net.sourceforge.plantuml.ErrorStatus;
import net.sourceforge.plantuml.Pipe;
import net.sourceforge.plantuml.Run;
import net.sourceforge.plantuml.cli.CliOptions;
import net.sourceforge.plantuml.cli.CliParser;

public final class FlowsmithPlantuml {
	private static final byte OUTPUT = 0;
	private static final byte EXCEPTION = 1;
	private static final byte OUT_OF_MEMORY = 2;
	private static final byte TOO_LARGE = 3;

	private static DataOutputStream out;
	/** The pipe's options for each output, by the request's output byte. */
	private static CliOptions[] options;
	private static long maxOutputBytes;

	public static void main(String[] args) throws Exception {
		if (args.length == 3 && args[0].equals("--compile")) {
			final String classPath = System.getProperty("java.class.path");
			System.exit(ToolProvider.getSystemJavaCompiler().run(null, System.err, System.err, "-nowarn", "-cp", classPath, "-d", args[2], args[1]));
		}
		final int threads = Integer.parseInt(args[0]);
		maxOutputBytes = Long.parseLong(args[1]);
		out = new DataOutputStream(new BufferedOutputStream(new FileOutputStream(FileDescriptor.out), 1 << 16));
		System.setOut(new PrintStream(new FileOutputStream(FileDescriptor.err), true, StandardCharsets.UTF_8));
		// What plantuml.jar's own main does before it reads the pipe.
		System.setProperty("log4j.debug", "false");
		options = new CliOptions[] {
			CliParser.parse("-tsvg", "-pipe", "-charset", "UTF-8", "-pipenostderr", "-nometadata"),
			CliParser.parse("-ttxt", "-pipe", "-charset", "UTF-8", "-pipenostderr", "-nometadata"),
			CliParser.parse("-tutxt", "-pipe", "-charset", "UTF-8", "-pipenostderr", "-nometadata"),
		};
		Run.forceOpenJdkResourceLoad();

		final AtomicInteger count = new AtomicInteger();
		final ExecutorService pool = Executors.newFixedThreadPool(threads, (task) -> {
			final Thread thread = new Thread(task, "flowsmith-plantuml-" + count.incrementAndGet());
			thread.setDaemon(true);
			return thread;
		});
		final DataInputStream in = new DataInputStream(new BufferedInputStream(System.in, 1 << 16));
		while (true) {
			final int id;
			try {
				id = in.readInt();
			} catch (EOFException closed) {
				break;
			}
			final int output = in.readByte();
			final byte[] source = new byte[in.readInt()];
			in.readFully(source);
			pool.execute(() -> render(id, options[output], source));
		}
		System.exit(0);
	}

	private static void render(int id, CliOptions options, byte[] source) {
		byte status;
		byte[] body;
		try {
			final ByteArrayOutputStream written = new ByteArrayOutputStream();
			final PrintStream ps = new PrintStream(written, false, StandardCharsets.UTF_8);
			new Pipe(options, ps, new ByteArrayInputStream(source), "UTF-8").managePipe(ErrorStatus.init());
			ps.flush();
			if (written.size() > maxOutputBytes) {
				status = TOO_LARGE;
				body = new byte[0];
			} else {
				status = OUTPUT;
				body = written.toByteArray();
			}
		} catch (OutOfMemoryError e) {
			status = OUT_OF_MEMORY;
			body = new byte[0];
		} catch (Throwable e) {
			// The pipe would have died of it; here only this diagram does.
			status = EXCEPTION;
			body = String.valueOf(e).getBytes(StandardCharsets.UTF_8);
		}
		send(id, status, body);
	}

	private static void send(int id, byte status, byte[] body) {
		synchronized (out) {
			try {
				out.writeInt(id);
				out.writeByte(status);
				out.writeInt(body.length);
				out.write(body);
				out.flush();
			} catch (IOException gone) {
				// Node closed the pipe: it is replacing or stopping this JVM.
				System.exit(0);
			}
		}
	}
}
