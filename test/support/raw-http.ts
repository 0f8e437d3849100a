import { connect } from "node:net";

/**
 * Sends bytes to an HTTP server as they are (request lines no client library
 * would send) and reads until the server closes the connection.
 */
export function rawExchange(port: number, request: string, host = "127.0.0.1"): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, host);
    let text = "";
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`the server kept the connection open after ${JSON.stringify(request)}:\n${text}`));
    }, 10_000);
    socket.setEncoding("latin1");
    socket.on("data", (chunk: string) => {
      text += chunk;
    });
    // A reset after the answer still counts as closed.
    socket.on("error", () => {});
    socket.on("close", () => {
      clearTimeout(timer);
      resolve(text);
    });
    socket.write(request, "latin1");
  });
}
