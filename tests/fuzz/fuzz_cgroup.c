/* /proc/PID/cgroup text: netns_parse_cgroup_file on the input as it is,
 * and netns_parse_cgroup_path on it. Whatever they find has the exact
 * shape promised (64 lowercase hex digits; 8-4-4-4-12 with '-'), and
 * netns_label() of it fits and ends. */
#include "fuzz.h"
#include "netns.h"

static void check_id(const char *id)
{
	size_t i, n = strlen(id);

	FUZZ_CHECK(n == 0 || n == NETNS_CONTAINER_ID_LEN);
	for (i = 0; i < n; i++)
		FUZZ_CHECK((id[i] >= '0' && id[i] <= '9') ||
			   (id[i] >= 'a' && id[i] <= 'f'));
}

static void check_pod(const char *pod)
{
	size_t i, n = strlen(pod);

	FUZZ_CHECK(n == 0 || n == NETNS_POD_UID_LEN);
	for (i = 0; i < n; i++)
		FUZZ_CHECK(i == 8 || i == 13 || i == 18 || i == 23 ?
			   pod[i] == '-' :
			   (pod[i] >= '0' && pod[i] <= '9') ||
			   (pod[i] >= 'a' && pod[i] <= 'f'));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char id[NETNS_CONTAINER_ID_LEN + 1], pod[NETNS_POD_UID_LEN + 1];
	char label[NETNS_LABEL_MAX];
	struct netns_info info;
	bool found;

	memset(&info, 0, sizeof(info));
	found = netns_parse_cgroup_file((const char *)data, size, &info);
	check_id(info.container_id);
	check_pod(info.pod_uid);
	FUZZ_CHECK(found == (info.container_id[0] || info.pod_uid[0]));
	netns_label(&info, label, sizeof(label));
	FUZZ_CHECK(memchr(label, '\0', sizeof(label)));
	netns_parse_cgroup_path((const char *)data, size, id, pod);
	check_id(id);
	check_pod(pod);
	return 0;
}
