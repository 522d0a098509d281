/*
 * A Kafka cluster for tests: librdkafka's mock cluster (the real wire protocol
 * on loopback), kept alive until stdin closes or a signal arrives.
 *
 *   kafka-mock [--brokers N] [topic:partitions ...]
 *
 * Prints `bootstrap <host:port,...>` once the cluster listens, then reads
 * commands on stdin, one a line, and answers each with one line:
 *
 *   create <topic> <partitions>   ->  ok <topic> | error <topic> <reason>
 *
 * Topics are created through the mock API because the mock does not implement
 * the CreateTopics request. End of stdin (the test process died) ends the
 * cluster too, so no orphan keeps a port.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

static volatile sig_atomic_t stopping = 0;

static void on_signal(int sig) {
        (void)sig;
        stopping = 1;
        /* Closing stdin wakes the blocking read below. */
        close(STDIN_FILENO);
}

static int create_topic(rd_kafka_mock_cluster_t *mcluster, int brokers, const char *topic, int partitions) {
        rd_kafka_resp_err_t err;
        if (partitions < 1) {
                printf("error %s partitions must be at least 1\n", topic);
                return -1;
        }
        err = rd_kafka_mock_topic_create(mcluster, topic, partitions, brokers < 3 ? brokers : 3);
        if (err) {
                printf("error %s %s\n", topic, rd_kafka_err2str(err));
                return -1;
        }
        printf("ok %s\n", topic);
        return 0;
}

int main(int argc, char **argv) {
        char errstr[512];
        int brokers = 1;
        int i;
        rd_kafka_conf_t *conf;
        rd_kafka_t *rk;
        rd_kafka_mock_cluster_t *mcluster;
        char line[1024];

        setvbuf(stdout, NULL, _IOLBF, 0);
        signal(SIGTERM, on_signal);
        signal(SIGINT, on_signal);
        signal(SIGPIPE, SIG_IGN);

        conf = rd_kafka_conf_new();
        /* The handle only hosts the cluster; keep its own logging quiet,
         * unless KAFKA_MOCK_DEBUG names librdkafka debug contexts (e.g. "mock"). */
        if (rd_kafka_conf_set(conf, "log_level", getenv("KAFKA_MOCK_DEBUG") ? "7" : "3", errstr, sizeof(errstr)) != RD_KAFKA_CONF_OK ||
            (getenv("KAFKA_MOCK_DEBUG") &&
             rd_kafka_conf_set(conf, "debug", getenv("KAFKA_MOCK_DEBUG"), errstr, sizeof(errstr)) != RD_KAFKA_CONF_OK)) {
                fprintf(stderr, "kafka-mock: %s\n", errstr);
                return 2;
        }
        rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
        if (!rk) {
                fprintf(stderr, "kafka-mock: %s\n", errstr);
                return 2;
        }

        for (i = 1; i < argc; i++) {
                if (strcmp(argv[i], "--brokers") == 0 && i + 1 < argc) {
                        brokers = atoi(argv[++i]);
                        break;
                }
        }
        if (brokers < 1) brokers = 1;

        mcluster = rd_kafka_mock_cluster_new(rk, brokers);
        if (!mcluster) {
                fprintf(stderr, "kafka-mock: could not create the mock cluster\n");
                rd_kafka_destroy(rk);
                return 2;
        }

        for (i = 1; i < argc; i++) {
                char name[512];
                char *colon;
                if (strcmp(argv[i], "--brokers") == 0) {
                        i++;
                        continue;
                }
                snprintf(name, sizeof(name), "%s", argv[i]);
                colon = strrchr(name, ':');
                if (!colon) {
                        fprintf(stderr, "kafka-mock: expected topic:partitions, got %s\n", argv[i]);
                        return 2;
                }
                *colon = '\0';
                if (create_topic(mcluster, brokers, name, atoi(colon + 1)) != 0) return 2;
        }

        printf("bootstrap %s\n", rd_kafka_mock_cluster_bootstraps(mcluster));

        while (!stopping && fgets(line, sizeof(line), stdin)) {
                char topic[512];
                int partitions;
                line[strcspn(line, "\r\n")] = '\0';
                if (line[0] == '\0') continue;
                if (sscanf(line, "create %511s %d", topic, &partitions) == 2) {
                        create_topic(mcluster, brokers, topic, partitions);
                } else {
                        printf("error - unknown command: %s\n", line);
                }
        }

        rd_kafka_mock_cluster_destroy(mcluster);
        rd_kafka_destroy(rk);
        return 0;
}
