#!/usr/bin/env python3
"""What ties the deploy manifests together, checked without a cluster or Docker.

Run by ctest (label `deploy`, see tests/CMakeLists.txt):

    manifests_test.py --lampi-fleet build/fleet/lampi-fleet --repo .

No cluster or Docker daemon runs here, so the manifests are parsed (PyYAML) and every
field that ties one to another is compared, and every lampi-fleet command line and
config in them is handed to the real binary:
  * Kubernetes (deploy/kubernetes): kustomizations name files that exist; labels,
    selectors and the headless Service agree; the metrics port is the same in the config,
    the container, the probe, the annotations, the Service and the ServiceMonitor;
    shard.count equals the Job's completions and parallelism and the StatefulSet's
    replicas; every option in args and every LAMPI_FLEET_* variable is one the
    subcommand has; the config and output paths lie on mounted volumes; every mount has a
    volume; memory and CPU requests cover a shard as docs/benchmarks.md sizes it; the
    pods run as non-root. The TLS component's patch is applied to both pods, and its init
    container's `certs` command is run for real (on fewer lamps) and the fleet's
    `validate` accepts the certificates it made.
  * The Dockerfile: two stages from one pinned Debian image, non-root, a runtime package
    list that covers every library `ldd` finds in the binary, a CMD that validates.
  * Compose: a health check on every service, the shards' indices and count, their
    Prometheus targets, their result paths on a volume, the broker's port, the Grafana
    provisioning mounts, and the shards' command line and environment validating.
"""

import argparse
import copy
import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest

import yaml

ARGS = None
K8S = "deploy/kubernetes"
# docs/benchmarks.md: RSS per lamp at 19,000 lamps, plain and TLS, and the process itself.
PLAIN_LAMP_BYTES = 2538
TLS_LAMP_BYTES = 26317
PROCESS_BYTES = 30 * 1024 * 1024


def repo(*parts):
    return os.path.join(ARGS.repo, *parts)


def load_all(rel):
    with open(repo(rel)) as f:
        return [d for d in yaml.safe_load_all(f) if d is not None]


def k8s_files():
    out = []
    for root, _dirs, files in os.walk(repo(K8S)):
        for name in files:
            if name.endswith((".yaml", ".yml")):
                out.append(os.path.relpath(os.path.join(root, name), ARGS.repo))
    return sorted(out)


def resources():
    """Every Kubernetes object in the tree (not kustomizations or patches)."""
    out = []
    for rel in k8s_files():
        for doc in load_all(rel):
            if isinstance(doc, dict) and "apiVersion" in doc and "kind" in doc and \
                    not doc["apiVersion"].startswith("kustomize.config.k8s.io"):
                out.append((rel, doc))
    return out


def one(kind):
    found = [d for _rel, d in resources() if d["kind"] == kind]
    assert len(found) == 1, "expected one %s, found %d" % (kind, len(found))
    return found[0]


def quantity_bytes(q):
    units = {"Ki": 1024, "Mi": 1024 ** 2, "Gi": 1024 ** 3}
    m = re.fullmatch(r"(\d+)(Ki|Mi|Gi)?", str(q))
    assert m, "memory quantity %r" % q
    return int(m.group(1)) * units.get(m.group(2), 1)


def json_patch(doc, ops):
    """RFC 6902 add and replace, as kustomize applies them."""
    doc = copy.deepcopy(doc)
    for op in ops:
        parts = [p.replace("~1", "/").replace("~0", "~") for p in op["path"].split("/")[1:]]
        node = doc
        for p in parts[:-1]:
            node = node[int(p)] if isinstance(node, list) else node[p]
        last = parts[-1]
        if isinstance(node, list):
            if last == "-":
                node.append(op["value"])
            elif op["op"] == "add":
                node.insert(int(last), op["value"])
            else:
                node[int(last)] = op["value"]
        else:
            if op["op"] == "replace":
                assert last in node, "replace of a missing %s" % op["path"]
            node[last] = copy.deepcopy(op["value"])
    return doc


_HELP = {}


def options_of(subcommand):
    """The long options `lampi-fleet <subcommand> --help` lists."""
    if subcommand not in _HELP:
        r = subprocess.run([ARGS.lampi_fleet, subcommand, "--help"], capture_output=True,
                           text=True, timeout=30)
        assert r.returncode == 0, r.stdout + r.stderr
        _HELP[subcommand] = set(re.findall(r"--([a-z][a-z0-9-]*)", r.stdout))
    return _HELP[subcommand]


def env_option(name):
    """LAMPI_FLEET_HATCH_RATE -> hatch-rate."""
    return name[len("LAMPI_FLEET_"):].lower().replace("_", "-")


def lampi(args, env=None, timeout=120):
    environment = {k: v for k, v in os.environ.items()
                   if not k.startswith("LAMPI_FLEET_") and k != "JOB_COMPLETION_INDEX"}
    environment.update(env or {})
    return subprocess.run([ARGS.lampi_fleet] + args, capture_output=True, text=True,
                          timeout=timeout, env=environment)


class PodChecks:
    """Checks of one pod template against the ConfigMap and the Service."""

    def check_pod(self, owner, pod, config, extra_volumes=(), tls=False):
        spec = pod["spec"]
        labels = pod["metadata"]["labels"]
        service = one("Service")
        for k, v in service["spec"]["selector"].items():
            self.assertEqual(labels.get(k), v, "%s: the Service selects its pods" % owner)
        self.assertTrue(spec["securityContext"]["runAsNonRoot"], owner)
        self.assertNotEqual(spec["securityContext"]["runAsUser"], 0, owner)

        volumes = {v["name"] for v in spec.get("volumes", [])} | set(extra_volumes)
        mounted = set()
        containers = spec.get("initContainers", []) + spec["containers"]
        for c in containers:
            mounts = c.get("volumeMounts", [])
            for m in mounts:
                self.assertIn(m["name"], volumes, "%s/%s mounts a volume there is" % (owner, c["name"]))
                mounted.add(m["name"])
            args = c["args"]
            sub = args[0]
            self.assertIn(sub, ("run", "certs"))
            defined = {e["name"] for e in c.get("env", [])} | (
                {"JOB_COMPLETION_INDEX"} if owner == "Job" else set())
            for a in args[1:]:
                m = re.match(r"--([a-z-]+)(=(.*))?$", a)
                self.assertIsNotNone(m, "%s: %r" % (owner, a))
                self.assertIn(m.group(1), options_of(sub), "%s %s: %s" % (owner, sub, a))
                for var in re.findall(r"\$\((\w+)\)", a):
                    self.assertIn(var, defined, "%s: %s uses $(%s)" % (owner, a, var))
            for e in c.get("env", []):
                if e["name"].startswith("LAMPI_FLEET_"):
                    self.assertIn(env_option(e["name"]), options_of(sub), e["name"])
            flags = {m.group(1): m.group(3) for m in
                     (re.match(r"--([a-z-]+)(=(.*))?$", a) for a in args[1:])}
            # The config is the ConfigMap's file, where it is mounted.
            config_mount = next(m for m in mounts if m["name"] == "config")
            self.assertEqual(flags["config"], config_mount["mountPath"] + "/fleet.yaml")
            # Outputs land on a writable mounted volume.
            for key in ("summary-json", "report", "out"):
                if key in flags:
                    self.assertTrue(any(flags[key].startswith(m["mountPath"] + "/") and
                                        not m.get("readOnly") for m in mounts),
                                    "%s: --%s %s is on a writable volume" % (owner, key, flags[key]))
        self.assertEqual(volumes - mounted, set(), "%s: volumes nobody mounts" % owner)

        fleet = spec["containers"][0]
        port = next(p for p in fleet["ports"] if p["name"] == "metrics")["containerPort"]
        self.assertEqual(int(config["metrics"]["listen"].rsplit(":", 1)[1]), port)
        self.assertEqual(pod["metadata"]["annotations"]["prometheus.io/port"], str(port))
        self.assertEqual(fleet["livenessProbe"]["httpGet"]["port"], "metrics")
        self.assertEqual(fleet["livenessProbe"]["httpGet"]["path"], "/healthz")
        svc_port = next(p for p in service["spec"]["ports"] if p["name"] == "metrics")
        self.assertIn(svc_port["targetPort"], ("metrics", port))
        self.assertEqual(svc_port["port"], port)

        per_shard = -(-config["lamps"] // config["shard"]["count"])
        need = PROCESS_BYTES + per_shard * (TLS_LAMP_BYTES if tls else PLAIN_LAMP_BYTES)
        requests = fleet["resources"]["requests"]
        self.assertGreaterEqual(quantity_bytes(requests["memory"]), need,
                                "%s: memory for %d lamps%s" % (owner, per_shard, " over TLS" if tls else ""))
        self.assertLessEqual(quantity_bytes(requests["memory"]),
                             quantity_bytes(fleet["resources"]["limits"]["memory"]))
        self.assertEqual(int(requests["cpu"]), config["run"]["threads"],
                         "%s: a CPU per worker thread" % owner)


class KubernetesTest(unittest.TestCase, PodChecks):
    def config(self):
        return yaml.safe_load(one("ConfigMap")["data"]["fleet.yaml"])

    def statefulset_config(self):
        """The ConfigMap as the StatefulSet's pods see it: its env overrides run.duration."""
        config = self.config()
        env = {e["name"]: e.get("value")
               for e in one("StatefulSet")["spec"]["template"]["spec"]["containers"][0]["env"]}
        config["run"]["duration"] = int(env["LAMPI_FLEET_DURATION"])
        return config

    def test_kustomizations_name_files_that_exist(self):
        for rel in k8s_files():
            if not rel.endswith("kustomization.yaml"):
                continue
            k = load_all(rel)[0]
            here = os.path.dirname(repo(rel))
            for r in k.get("resources", []) + k.get("components", []):
                self.assertTrue(os.path.exists(os.path.join(here, r)), "%s: %s" % (rel, r))
            for p in k.get("patches", []):
                if "path" in p:
                    self.assertTrue(os.path.exists(os.path.join(here, p["path"])), rel)
            for g in k.get("secretGenerator", []):
                # The CA's files are the user's, never committed.
                with open(os.path.join(here, ".gitignore")) as f:
                    ignored = f.read().split()
                for name in g["files"]:
                    self.assertIn(name, ignored, "%s: %s stays out of git" % (rel, name))

    def test_every_object_is_labelled_and_the_selectors_agree(self):
        for rel, doc in resources():
            self.assertEqual(doc["metadata"]["labels"].get("app.kubernetes.io/name"),
                             "lampi-fleet", rel)
        service, monitor = one("Service"), one("ServiceMonitor")
        self.assertEqual(service["spec"].get("clusterIP"), "None", "headless")
        for k, v in monitor["spec"]["selector"]["matchLabels"].items():
            self.assertEqual(service["metadata"]["labels"].get(k), v)
        ports = {p["name"] for p in service["spec"]["ports"]}
        for e in monitor["spec"]["endpoints"]:
            self.assertIn(e["port"], ports)
        sts = one("StatefulSet")
        self.assertEqual(sts["spec"]["serviceName"], service["metadata"]["name"])
        for k, v in sts["spec"]["selector"]["matchLabels"].items():
            self.assertEqual(sts["spec"]["template"]["metadata"]["labels"].get(k), v)

    def test_shard_count_is_the_number_of_pods(self):
        job, sts = one("Job"), one("StatefulSet")
        count = self.config()["shard"]["count"]
        self.assertNotIn("index", self.config()["shard"], "each pod's index is Kubernetes'")
        self.assertEqual(job["spec"]["completionMode"], "Indexed")
        # One shard's verdict must not stop the others: failures count per index.
        self.assertEqual(job["spec"]["backoffLimitPerIndex"], 0)
        self.assertNotIn("backoffLimit", job["spec"])
        self.assertEqual(job["spec"]["completions"], count)
        self.assertEqual(job["spec"]["parallelism"], count)
        self.assertEqual(sts["spec"]["replicas"], self.statefulset_config()["shard"]["count"])
        self.assertEqual(sts["spec"]["podManagementPolicy"], "Parallel")

    def test_the_configs_validate(self):
        for what, config in (("ConfigMap", self.config()),
                             ("the StatefulSet's view of it", self.statefulset_config())):
            with tempfile.TemporaryDirectory() as d:
                path = os.path.join(d, "fleet.yaml")
                with open(path, "w") as f:
                    yaml.safe_dump(config, f)
                r = lampi(["validate", "--config", path])
                self.assertEqual(r.returncode, 0, what + ": " + r.stdout + r.stderr)
                self.assertIn("each process's index from its environment", r.stdout)
                # What a pod of the Job sees.
                r = lampi(["validate", "--config", path], {"JOB_COMPLETION_INDEX": "2"})
                self.assertIn("shard 2 of %d from JOB_COMPLETION_INDEX=2"
                              % config["shard"]["count"], r.stdout)
        self.assertEqual(self.statefulset_config()["run"]["duration"], 0, "until stopped")

    def test_job_pod(self):
        job = one("Job")
        self.assertEqual(job["spec"]["template"]["spec"]["restartPolicy"], "Never")
        self.check_pod("Job", job["spec"]["template"], self.config())

    def test_statefulset_pod(self):
        sts = one("StatefulSet")
        claims = [c["metadata"]["name"] for c in sts["spec"]["volumeClaimTemplates"]]
        self.check_pod("StatefulSet", sts["spec"]["template"], self.statefulset_config(), claims)

    def tls_ops(self):
        with open(repo(K8S, "tls", "shard-certificates.yaml")) as f:
            return yaml.safe_load(f)

    def test_tls_component_patches_both_pods(self):
        kust = load_all(K8S + "/tls/kustomization.yaml")[0]
        self.assertEqual(kust["kind"], "Component")
        self.assertEqual({p["target"]["kind"] for p in kust["patches"]}, {"Job", "StatefulSet"})
        secret = kust["secretGenerator"][0]
        for owner, obj, config in (("Job", one("Job"), self.config()),
                                   ("StatefulSet", one("StatefulSet"), self.statefulset_config())):
            patched = json_patch(obj, self.tls_ops())
            pod = patched["spec"]["template"]
            extra = [c["metadata"]["name"] for c in patched["spec"].get("volumeClaimTemplates", [])]
            self.check_pod(owner, pod, config, extra, tls=True)
            ca_volume = next(v for v in pod["spec"]["volumes"] if v["name"] == "ca")
            self.assertEqual(ca_volume["secret"]["secretName"], secret["name"])
            env = {e["name"]: e.get("value") for e in pod["spec"]["containers"][0]["env"]}
            self.assertTrue(env["LAMPI_FLEET_BROKER"].startswith("mqtts://"))
            self.assertEqual(os.path.basename(env["LAMPI_FLEET_CA_FILE"]), "lampi_ca.crt")
            self.assertIn("lampi_ca.crt", secret["files"])
            init = pod["spec"]["initContainers"][0]
            out = next(a.split("=", 1)[1] for a in init["args"] if a.startswith("--out="))
            self.assertEqual(os.path.dirname(env["LAMPI_FLEET_CERT_TEMPLATE"]), out)
            self.assertEqual(os.path.dirname(env["LAMPI_FLEET_KEY_TEMPLATE"]), out)
            if owner == "StatefulSet":  # the patch's env must keep what the pod had
                self.assertIn("POD_NAME", env)
                self.assertEqual(env["LAMPI_FLEET_DURATION"], "0")
            # The fleet's container sees the CA's certificate, never its key.
            volumes = {v["name"]: v for v in pod["spec"]["volumes"]}
            for m in pod["spec"]["containers"][0]["volumeMounts"]:
                mounted_secret = volumes.get(m["name"], {}).get("secret")
                if mounted_secret:
                    self.assertEqual([i["key"] for i in mounted_secret.get("items", [])],
                                     ["lampi_ca.crt"], "%s mounts the CA key" % owner)
            self.assertIn("--keep-existing", init["args"], "a rerun keeps what it made")

    def test_tls_init_container_makes_certificates_the_fleet_accepts(self):
        """The init container's command, run here on 12 lamps, paths moved to a temp dir."""
        pod = json_patch(one("Job"), self.tls_ops())["spec"]["template"]
        init = pod["spec"]["initContainers"][0]
        env = {e["name"]: e.get("value") for e in pod["spec"]["containers"][0]["env"]
               if "value" in e}
        config = self.config()
        config["lamps"] = 12
        with tempfile.TemporaryDirectory() as d:
            def here(path):
                for m in init["volumeMounts"] + pod["spec"]["containers"][0]["volumeMounts"]:
                    if path.startswith(m["mountPath"] + "/") or path == m["mountPath"]:
                        return d + "/" + m["name"] + path[len(m["mountPath"]):]
                return path
            for name in ("config", "ca", "certs"):
                os.makedirs(os.path.join(d, name), exist_ok=True)
            with open(os.path.join(d, "config", "fleet.yaml"), "w") as f:
                yaml.safe_dump(config, f)
            made = lampi(["certs", "-n", "1", "--new-ca", "--out", os.path.join(d, "newca")])
            self.assertEqual(made.returncode, 0, made.stderr)
            for name in ("lampi_ca.crt", "lampi_ca.key"):
                shutil.copy(os.path.join(d, "newca", name), os.path.join(d, "ca", name))
            args = [a.split("=", 1)[0] + "=" + here(a.split("=", 1)[1]) if "=" in a else a
                    for a in init["args"][1:]]
            r = lampi(["certs"] + args, {"JOB_COMPLETION_INDEX": "1"})
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
            self.assertIn("Wrote 4 lamps' certificates", r.stderr)  # 12 lamps, 3 shards
            again = lampi(["certs"] + args, {"JOB_COMPLETION_INDEX": "1"})  # a rerun
            self.assertEqual(again.returncode, 0, again.stdout + again.stderr)
            self.assertIn("Kept 4 lamps", again.stderr)
            fleet_env = {k: here(v) for k, v in env.items() if k.startswith("LAMPI_FLEET_")
                         and k != "LAMPI_FLEET_BROKER"}
            fleet_env["JOB_COMPLETION_INDEX"] = "1"
            fleet_env["LAMPI_FLEET_BROKER"] = env["LAMPI_FLEET_BROKER"]
            r = lampi(["validate", "--config", here("/etc/lampi-fleet/fleet.yaml")], fleet_env)
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
            self.assertIn("every certificate checked", r.stdout)


class DockerfileTest(unittest.TestCase):
    def setUp(self):
        with open(repo("deploy/compose/Dockerfile")) as f:
            self.text = f.read()

    def test_two_stages_from_one_pinned_debian(self):
        m = re.search(r"(?m)^ARG DEBIAN_IMAGE=(\S+)$", self.text)
        self.assertIsNotNone(m)
        self.assertRegex(m.group(1), r"^debian:12\.\d+(-slim)?(@sha256:[0-9a-f]{64})?$",
                         "a Debian 12 point release, not a moving tag")
        stages = re.findall(r"(?m)^FROM (\S+) AS (\w+)$", self.text)
        self.assertEqual(stages, [("${DEBIAN_IMAGE}", "build"), ("${DEBIAN_IMAGE}", "runtime")])
        self.assertIn("COPY --from=build /src/build/fleet/lampi-fleet /usr/local/bin/lampi-fleet",
                      self.text)
        self.assertIn("-DCMAKE_BUILD_TYPE=Release", self.text)

    def test_runs_as_non_root_with_results_on_a_volume(self):
        m = re.search(r"(?m)^USER (\d+)", self.text)
        self.assertIsNotNone(m)
        self.assertNotEqual(int(m.group(1)), 0)
        self.assertRegex(self.text, r'(?m)^WORKDIR /results$')
        self.assertRegex(self.text, r'(?m)^VOLUME \["/results"\]$')

    def test_runtime_packages_cover_every_library_the_binary_links(self):
        runtime = self.text.split(" AS runtime", 1)[1]
        m = re.search(r"apt-get install -y --no-install-recommends \\\n((?:\s+.*\\\n)+)", runtime)
        self.assertIsNotNone(m)
        listed = set(re.findall(r"[a-z0-9][a-z0-9.+-]+", m.group(1).replace("\\", " ")))
        ldd = subprocess.run(["ldd", ARGS.lampi_fleet], capture_output=True, text=True).stdout
        needed = set()
        for path in re.findall(r"=> (\S+)", ldd):
            r = subprocess.run(["dpkg", "-S", os.path.realpath(path)], capture_output=True, text=True)
            if r.returncode != 0:
                r = subprocess.run(["dpkg", "-S", path], capture_output=True, text=True)
            self.assertEqual(r.returncode, 0, "which package has %s" % path)
            needed.add(r.stdout.split(":", 1)[0])
        in_base = {"libc6", "libgcc-s1", "libstdc++6", "zlib1g"}  # Debian's slim image has them
        # A sanitizer build's own runtime (this suite also runs under ASan/UBSan): the image
        # is a Release build, which links none of it.
        sanitizers = {p for p in needed if re.fullmatch(r"lib(asan|ubsan|tsan|lsan)\d*", p)}
        self.assertEqual(needed - in_base - sanitizers - listed, set(),
                         "libraries the runtime image lacks")

    def test_cmd_validates(self):
        m = re.search(r"(?m)^CMD (\[.*\])$", self.text)
        args = yaml.safe_load(m.group(1))
        self.assertEqual(args[0], "run")
        args = [a.replace("/etc/lampi-fleet/examples/", repo("config") + "/") for a in args]
        r = lampi(["validate"] + args[1:], {"LAMPI_FLEET_METRICS_LISTEN": "0.0.0.0:9464"})
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)


class ComposeTest(unittest.TestCase):
    def setUp(self):
        self.compose = load_all("deploy/compose/docker-compose.yml")[0]
        self.services = self.compose["services"]
        self.shards = {n: s for n, s in self.services.items() if n.startswith("lampi-fleet-")}

    @staticmethod
    def defaults(value):
        return re.sub(r"\$\{\w+:-([^}]*)\}", r"\1", str(value))

    def test_every_service_has_a_health_check(self):
        for name, s in self.services.items():
            self.assertIn("healthcheck", s, name)

    def test_shards_are_one_fleet(self):
        indices = sorted(int(s["environment"]["LAMPI_FLEET_SHARD_INDEX"]) for s in self.shards.values())
        counts = {s["environment"]["LAMPI_FLEET_SHARD_COUNT"] for s in self.shards.values()}
        self.assertEqual(counts, {str(len(self.shards))})
        self.assertEqual(indices, list(range(len(self.shards))))
        outputs = [s["environment"]["LAMPI_FLEET_SUMMARY_JSON"] for s in self.shards.values()]
        self.assertEqual(len(set(outputs)), len(outputs), "a summary file each")
        for name, s in self.shards.items():
            mounts = [v.split(":")[1] for v in s["volumes"]]
            for key in ("LAMPI_FLEET_SUMMARY_JSON", "LAMPI_FLEET_REPORT"):
                self.assertTrue(any(s["environment"][key].startswith(m + "/") for m in mounts), name)
            for var in s["environment"]:
                self.assertIn(env_option(var), options_of("run"), var)

    def test_prometheus_scrapes_every_shard(self):
        prom = load_all("deploy/compose/prometheus.yml")[0]
        targets = prom["scrape_configs"][0]["static_configs"][0]["targets"]
        ports = {s["environment"]["LAMPI_FLEET_METRICS_LISTEN"].rsplit(":", 1)[1]
                 for s in self.shards.values()}
        self.assertEqual(sorted(targets), sorted("%s:%s" % (n, p) for n in self.shards for p in ports))

    def test_the_broker_listens_where_the_shards_connect(self):
        with open(repo("deploy/compose/mosquitto.conf")) as f:
            listeners = re.findall(r"(?m)^listener (\d+)$", f.read())
        for s in self.shards.values():
            url = self.defaults(s["environment"]["LAMPI_FLEET_BROKER"])
            self.assertRegex(url, r"^mqtt://mosquitto:\d+$")
            self.assertIn(url.rsplit(":", 1)[1], listeners)
        self.assertIn(listeners[0], self.services["mosquitto"]["healthcheck"]["test"])

    def test_grafana_provisioning_matches_the_mounts(self):
        with open(repo("deploy/grafana/provisioning/dashboards/lampi-fleet.yml")) as f:
            provider = yaml.safe_load(f)
        path = provider["providers"][0]["options"]["path"]
        volumes = self.services["grafana"]["volumes"]
        self.assertIn("../grafana/dashboards:%s:ro" % path, volumes)
        self.assertIn("../grafana/provisioning/dashboards:/etc/grafana/provisioning/dashboards:ro",
                      volumes)

    def test_each_shards_command_and_environment_validate(self):
        for name, s in self.shards.items():
            args = [a.replace("/etc/lampi-fleet/examples/", repo("config") + "/") for a in s["command"]]
            self.assertEqual(args[0], "run")
            env = {k: self.defaults(v) for k, v in s["environment"].items()}
            with tempfile.TemporaryDirectory() as d:
                for k in ("LAMPI_FLEET_SUMMARY_JSON", "LAMPI_FLEET_REPORT"):
                    env[k] = d + env[k]
                os.makedirs(d + "/results")
                r = lampi(["validate"] + args[1:], env)
            self.assertEqual(r.returncode, 0, name + ": " + r.stdout + r.stderr)
            self.assertIn("shard %s of %s" % (env["LAMPI_FLEET_SHARD_INDEX"],
                                               env["LAMPI_FLEET_SHARD_COUNT"]), r.stdout)


def main():
    global ARGS
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--lampi-fleet", required=True)
    parser.add_argument("--repo", required=True)
    ARGS, rest = parser.parse_known_args()
    ARGS.repo = os.path.abspath(ARGS.repo)
    unittest.main(argv=[sys.argv[0]] + rest, verbosity=2)


if __name__ == "__main__":
    main()
