/* confab/confab.h compiles alone, as C11 and as C++ (this same file, compiled with -x c++),
 * with -Wall -Wextra -Werror -pedantic: the structs filled by their _INIT macros, the
 * callbacks of the app's kinds, the calls of an app. Compiled only (tests/c/CMakeLists.txt),
 * not run. */
#include <confab/confab.h>

#include <stdio.h>

static void on_event(int kind, const char *event_json, void *payload) {
  (void)payload;
  printf("%d %s\n", kind, event_json);
}

static int provide(confab_secret *out, void *payload) { return confab_secret_set(out, (const char *)payload); }

int header_check(void);
int header_check(void) {
  confab_client_options options = CONFAB_CLIENT_OPTIONS_INIT;
  confab_send_options send = CONFAB_SEND_OPTIONS_INIT;
  confab_message_ref root = {"c_general", "m_1", 0};
  confab_client *client = NULL;
  char *echo = NULL;
  char *cached = NULL;
  int state = CONFAB_STATE_INITIALIZED;
  options.device_id = "header-check";
  options.database_path = ":memory:";
  options.files_http_url = "https://chat.example";
  options.files_cache_bytes = 64LL * 1024 * 1024;
  send.thread_root = &root;
  send.attachments_json = "[{\"path\": \"chart.png\"}]";
  if (confab_client_new(&client, &options) != CONFAB_OK) return puts(confab_errmsg(NULL));
  confab_set_event_callback(client, CONFAB_EVENT_ALL & ~(unsigned)CONFAB_EVENT_TYPING, on_event, NULL);
  confab_connect_with_credential_provider(client, "https://chat.example", provide, (void *)"secret");
  confab_send(&echo, client, "c_general", "hello", &send);
  confab_free(echo);
  confab_download(client, "{\"attachmentId\": \"a_1\"}", "chart.png", 1);
  if (confab_cached_file(&cached, client, "{\"attachmentId\": \"a_1\"}") == CONFAB_OK) puts(cached);
  confab_free(cached);
  confab_set_poll_kinds(client, CONFAB_EVENT_UPLOAD | CONFAB_EVENT_DOWNLOAD);
  confab_connection_state(&state, client);
  return confab_client_free(client) + state;
}
