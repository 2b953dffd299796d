# Sourced by the libvirt tests: starts libvirt's daemons by hand (these
# machines have no systemd) and stops what it started, by pid.
#   lv_start_local          qemu:///system: libvirtd + virtlogd, unless one answers
#   lv_start_remote PORT    a second libvirtd, TCP on 127.0.0.1:PORT only, with
#                           auth_tcp = "none" (loopback, test only), in a private
#                           mount namespace: its own /run/libvirt, /var/lib/libvirt,
#                           and the results root ($LV_HIDE) hidden behind a tmpfs,
#                           so a run through it cannot read this machine's results
#   lv_kill_remote          SIGKILL of the remote daemon (a fault test)
#   lv_stop                 stops everything started here
lv_dir=$(mktemp -d /tmp/mmrepro-libvirt.XXXXXX)
lv_pids=()

lv_wait_for() { # uri
	for _ in $(seq 1 100); do
		virsh -c "$1" version >/dev/null 2>&1 && return 0
		sleep 0.2
	done
	echo "libvirt: $1 did not come up" >&2
	return 1
}

lv_start_local() {
	if virsh -c qemu:///system version >/dev/null 2>&1; then
		return 0
	fi
	virtlogd -d --pid-file="$lv_dir/virtlogd.pid" || return 1
	libvirtd -d --pid-file="$lv_dir/libvirtd.pid" || return 1
	lv_wait_for qemu:///system || return 1
	lv_pids+=("$(cat "$lv_dir/virtlogd.pid")" "$(cat "$lv_dir/libvirtd.pid")")
}

lv_start_remote() { # port
	cat >"$lv_dir/remote-$1.conf" <<CONF
listen_tls = 0
listen_tcp = 1
listen_addr = "127.0.0.1"
tcp_port = "$1"
auth_tcp = "none"
CONF
	mkdir -p "${LV_HIDE:-$lv_dir/hide}"
	unshare --mount --propagation private bash -c '
		for d in /run/libvirt /var/lib/libvirt /var/cache/libvirt "$2"; do
			mount -t tmpfs mmrepro-remote "$d" || exit 1
		done
		virtlogd -d --pid-file="$1/remote-$3-virtlogd.pid" || exit 1
		exec libvirtd --listen -f "$1/remote-$3.conf" --pid-file="$1/remote-$3-libvirtd.pid"' \
		lv "$lv_dir" "${LV_HIDE:-$lv_dir/hide}" "$1" >"$lv_dir/remote-$1.log" 2>&1 &
	LV_REMOTE_PID=$!
	lv_wait_for "qemu+tcp://127.0.0.1:$1/system" || return 1
	lv_pids+=("$(cat "$lv_dir/remote-$1-virtlogd.pid")" "$LV_REMOTE_PID")
}

lv_kill_remote() {
	kill -9 "$LV_REMOTE_PID" 2>/dev/null
	wait "$LV_REMOTE_PID" 2>/dev/null
}

lv_stop() {
	for pid in "${lv_pids[@]}"; do
		kill "$pid" 2>/dev/null
	done
	sleep 0.5
	rm -rf "$lv_dir"
}
