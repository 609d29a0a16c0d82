"""The fixed vocabulary of skills a lab may claim (lab.yaml `skills:`).

One list for the catalogue filter, reports per skill and role templates; a lab naming a
skill outside it is a format error, so reports never split one skill under two spellings.
"""

SKILLS: dict[str, str] = {
    "linux": "Linux administration",
    "web-servers": "Web servers and reverse proxies",
    "storage": "Disks, file systems and logs",
    "networking": "Networking",
    "databases": "Databases",
    "monitoring": "Monitoring and alerting",
    "prometheus": "Prometheus",
    "grafana": "Grafana",
    "elk": "Elasticsearch, Logstash, Kibana",
    "iac": "Infrastructure as code",
    "terraform": "Terraform",
    "ansible": "Ansible",
    "puppet": "Puppet",
    "containers": "Containers",
    "kubernetes": "Kubernetes",
    "ci-cd": "CI/CD",
    "security": "Security",
    "iam": "Identity and access",
    "network-controls": "Network controls and firewalls",
    "vulnerability-management": "Vulnerability management",
    "disaster-recovery": "Backup and disaster recovery",
    "scripting": "Scripting (Bash, Python, Go)",
    "incident-response": "Incident response",
    "capacity": "Capacity planning and cost",
    "cloud": "Cloud platforms (AWS)",
}
