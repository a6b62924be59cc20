// pgjdbc's checks for the driver-java suite (see test/suites/drivers.py
// for the requests and the report lines), run with the classpath of the
// pinned docs/examples/java/pom.xml.  "binary" and "text":
// binaryTransfer=true and false; prepareThreshold=1 makes every
// PreparedStatement a server-side one from its first execution.
import java.nio.file.Files;
import java.nio.file.Paths;
import java.sql.Array;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

public class Check {
    record Request(int id, String literal, String object, double expected) {
        Double[] array() {
            String[] parts = literal.substring(1, literal.length() - 1).split(",");
            Double[] a = new Double[parts.length];
            for (int i = 0; i < parts.length; i++)
                a[i] = parts[i].equals("NULL") ? null : Double.valueOf(parts[i]);
            return a;
        }
    }

    interface Bind {
        void bind(Connection conn, PreparedStatement ps, Request r) throws SQLException;
    }

    static final int POOL = 8;
    static List<Request> requests = new ArrayList<>();
    static double tolerance;
    static String url;

    static boolean wrong(double p, Request r) {
        return !(Math.abs(p - r.expected) <= tolerance);
    }

    static double score(PreparedStatement ps) throws SQLException {
        try (ResultSet rs = ps.executeQuery()) {
            rs.next();
            return rs.getDouble(1);
        }
    }

    static void check(Connection conn, String name, String sql, Bind bind) throws SQLException {
        List<String> bad = new ArrayList<>();
        try (PreparedStatement ps = conn.prepareStatement(sql)) {
            for (Request r : requests) {
                bind.bind(conn, ps, r);
                if (wrong(score(ps), r))
                    bad.add(Integer.toString(r.id));
            }
        }
        System.out.printf("check %s %d %d %s%n", name, requests.size(), bad.size(),
                          String.join(" ", bad.subList(0, Math.min(5, bad.size()))));
    }

    static void sqlstate(Connection conn, String name, String model, String features) {
        try (PreparedStatement ps = conn.prepareStatement("SELECT model_deploy.predict(?, ?)")) {
            ps.setString(1, model);
            ps.setString(2, features);
            score(ps);
            System.out.printf("sqlstate %s none%n", name);
        } catch (SQLException e) {
            System.out.printf("sqlstate %s %s%n", name, e.getSQLState());
        }
    }

    static void checks(String mode) throws SQLException {
        try (Connection conn = DriverManager.getConnection(
                 url + "&binaryTransfer=" + mode.equals("binary"))) {
            String untyped = "SELECT model_deploy.predict(?, ?)";
            check(conn, "array_" + mode, untyped, (c, ps, r) -> {
                ps.setString(1, "cancer");
                ps.setArray(2, c.createArrayOf("float8", r.array()));
            });
            check(conn, "setstring_literal_" + mode, untyped, (c, ps, r) -> {
                ps.setString(1, "cancer");
                ps.setString(2, r.literal);
            });
            check(conn, "setstring_json_" + mode, untyped, (c, ps, r) -> {
                ps.setString(1, "cancer");
                ps.setString(2, r.object);
            });
            check(conn, "unspecified_json_" + mode, untyped, (c, ps, r) -> {
                ps.setString(1, "cancer");
                ps.setObject(2, r.object, Types.OTHER);
            });
            check(conn, "jsonb_" + mode, "SELECT model_deploy.predict(?, ?::jsonb)", (c, ps, r) -> {
                ps.setString(1, "cancer");
                ps.setString(2, r.object);
            });
            check(conn, "row_" + mode,
                  "SELECT model_deploy.predict('cancer', p) FROM patients p WHERE id = ?",
                  (c, ps, r) -> ps.setInt(1, r.id));
            sqlstate(conn, "unknown_model_" + mode, "no_such_model", "{1}");
            sqlstate(conn, "wrong_count_" + mode, "cancer", "{1,2}");
        }
    }

    static void concurrently(double seconds) throws Exception {
        long stop = System.nanoTime() + (long) (seconds * 1e9);
        ExecutorService pool = Executors.newFixedThreadPool(POOL);
        List<Future<double[]>> results = new ArrayList<>();
        for (int k = 0; k < POOL; k++) {
            final int first = k;
            results.add(pool.submit(() -> {
                List<Double> mine = new ArrayList<>();
                double bad = 0;
                try (Connection conn = DriverManager.getConnection(url);
                     PreparedStatement ps = conn.prepareStatement(
                         "SELECT model_deploy.predict(?, ?)")) {
                    ps.setString(1, "cancer");
                    for (int i = first; System.nanoTime() < stop; i += POOL) {
                        Request r = requests.get(i % requests.size());
                        long t = System.nanoTime();
                        ps.setArray(2, conn.createArrayOf("float8", r.array()));
                        double p = score(ps);
                        mine.add((System.nanoTime() - t) / 1e6);
                        if (wrong(p, r))
                            bad++;
                    }
                }
                double[] out = new double[mine.size() + 1];
                out[0] = bad;
                for (int i = 0; i < mine.size(); i++)
                    out[i + 1] = mine.get(i);
                return out;
            }));
        }
        List<Double> latencies = new ArrayList<>();
        long bad = 0;
        for (Future<double[]> f : results) {
            double[] out = f.get();
            bad += (long) out[0];
            for (int i = 1; i < out.length; i++)
                latencies.add(out[i]);
        }
        pool.shutdown();
        Collections.sort(latencies);
        int n = latencies.size();
        System.out.printf("check pool8 %d %d%n", n, bad);
        System.out.printf("latency pool8 %d %.3f %.3f%n", n, latencies.get(n / 2),
                          latencies.get(Math.min(n - 1, (int) (n * 0.99))));
    }

    public static void main(String[] args) throws Exception {
        for (String line : Files.readAllLines(Paths.get(System.getenv("MD_REQUESTS_TSV")))) {
            String[] f = line.split("\t");
            requests.add(new Request(Integer.parseInt(f[0]), f[1], f[2], Double.parseDouble(f[3])));
        }
        tolerance = Double.parseDouble(System.getenv("MD_TOLERANCE"));
        url = String.format("jdbc:postgresql://%s:%s/%s?user=%s&prepareThreshold=1",
                            System.getenv("PGHOST"), System.getenv("PGPORT"),
                            System.getenv("PGDATABASE"), System.getenv("PGUSER"));
        checks("text");
        checks("binary");
        concurrently(Double.parseDouble(System.getenv("MD_SECONDS")));
    }
}
