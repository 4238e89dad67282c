/* A C program that chats through Confab's C API (confab/confab.h): it connects, sends one
 * message, and prints every event until that message comes back from the server, or a
 * deadline passes. It hears events in poll mode, the way an app's own event loop would.
 *
 * Build it against the installed package:
 *   cc -std=c11 chat.c $(pkg-config --cflags --libs confab-c) -o confab-chat
 *
 * Usage:
 *   confab-chat --bootstrap http://127.0.0.1:8701 CREDENTIAL CONVERSATION [SECONDS]
 *   confab-chat --token ws://127.0.0.1:8700/ TOKEN CONVERSATION [SECONDS]
 * (ws:// and http:// are allowed here for a server on loopback; an app uses wss:// and
 * https://.) Exits 0 once the message came back. */
#include <confab/confab.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int fail(const char *what, confab_client *client) {
  fprintf(stderr, "confab-chat: %s: %s\n", what, confab_errmsg(client));
  return 1;
}

/* The credential comes from the app's own store; here, from the command line. The
 * provider runs on the client's token thread, whenever the client bootstraps. */
static int provide_credential(confab_secret *out, void *payload) {
  return confab_secret_set(out, (const char *)payload);
}

static double seconds_now(void) {
  struct timespec now;
  timespec_get(&now, TIME_UTC);
  return (double)now.tv_sec + (double)now.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
  if (argc < 5 || (strcmp(argv[1], "--bootstrap") != 0 && strcmp(argv[1], "--token") != 0)) {
    fprintf(stderr, "usage: %s --bootstrap HTTP_URL CREDENTIAL CONVERSATION [SECONDS]\n"
                    "       %s --token WS_URL TOKEN CONVERSATION [SECONDS]\n", argv[0], argv[0]);
    return 2;
  }
  const int bootstrap = strcmp(argv[1], "--bootstrap") == 0;
  const char *url = argv[2];
  const char *secret = argv[3];
  const char *conversation = argv[4];
  const double deadline = seconds_now() + (argc > 5 ? atof(argv[5]) : 20.0);

  confab_client_options options = CONFAB_CLIENT_OPTIONS_INIT;
  options.device_id = "c-example";
  options.database_path = ":memory:"; /* an app gives a file: unsent messages survive a restart */
  options.allow_insecure_transport = 1;
  confab_client *client = NULL;
  if (confab_client_new(&client, &options) != CONFAB_OK) return fail("open", NULL);

  /* Every kind of event into the poll queue; this loop takes them. */
  if (confab_set_poll_kinds(client, CONFAB_EVENT_ALL) != CONFAB_OK) return fail("poll", client);
  int status = bootstrap ? confab_connect_with_credential_provider(client, url, provide_credential, (void *)secret)
                         : confab_connect(client, url, secret);
  if (status != CONFAB_OK) return fail("connect", client);

  /* send() queues the message durably and returns at once; it goes out once connected. */
  char text[96];
  snprintf(text, sizeof text, "hello from C, confab %s, %ld", confab_version(), (long)time(NULL));
  char *echo = NULL;
  if (confab_send(&echo, client, conversation, text, NULL) != CONFAB_OK) return fail("send", client);
  printf("sent: %s\n", echo);
  confab_free(echo);

  /* The message comes back as a `message` event whose JSON holds its text. */
  char quoted[128];
  snprintf(quoted, sizeof quoted, "\"text\":\"%s\"", text);
  int received = 0;
  while (!received && seconds_now() < deadline) {
    char *event = NULL;
    status = confab_poll_event(&event, client, 250);
    if (status == CONFAB_E_TIMEOUT) continue;
    if (status != CONFAB_OK) return fail("poll", client);
    printf("event: %s\n", event);
    received = strstr(event, "\"kind\":\"message\"") != NULL && strstr(event, quoted) != NULL;
    confab_free(event);
  }

  char *connection = NULL;
  if (!received && confab_connection(&connection, client) == CONFAB_OK) {
    fprintf(stderr, "confab-chat: the message did not come back in time (connection: %s)\n", connection);
  }
  confab_free(connection);
  confab_client_free(client);
  if (received) printf("received it back\n");
  return received ? 0 : 1;
}
