// Real-time scoring with pgjdbc.
//
// Reads one request per line on stdin, a JSON object of feature name ->
// value, and prints the model's prediction for each.  One long-lived
// connection and one PreparedStatement; from its first execution on
// (prepareThreshold=1) it is a server-side prepared statement, so the
// server only binds and scores.  setString sends the JSON as varchar, and
// the server picks model_deploy.predict(text, text), which reads a JSON
// object or an array literal.
//
//   java -cp postgresql-42.7.14.jar Realtime.java \
//       jdbc:postgresql://localhost/shop?user=app churn < requests.jsonl
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;

public class Realtime {
    public static void main(String[] args) throws Exception {
        String url = args[0] + (args[0].contains("?") ? "&" : "?") + "prepareThreshold=1";
        String model = args.length > 1 ? args[1] : "churn";
        try (Connection conn = DriverManager.getConnection(url);
             PreparedStatement score = conn.prepareStatement(
                 "SELECT model_deploy.predict(?, ?)")) {
            BufferedReader in = new BufferedReader(new InputStreamReader(System.in));
            score.setString(1, model);
            for (String line; (line = in.readLine()) != null; ) {
                if (line.isBlank()) continue;
                score.setString(2, line);
                try (ResultSet rs = score.executeQuery()) {
                    rs.next();
                    System.out.println(rs.getDouble(1));
                }
            }
        }
    }
}
