// A busy foreign OPC UA server for benchmarks/foreign_opcua.py (node-opcua, not our asyncua simulator).
//
//   node server.js --port 4840 --tags 10000 --interval 100 --max-notifications 1000 --pki DIR
//
// N Double tags (ns=urn:millwright:foreign, s=Tag00000 ...) under the folder "Busy", all changed by
// one timer every --interval ms; every change of a tick carries the tick's source timestamp. No
// security, anonymous. A Publish response carries at most --max-notifications notifications
// (Subscription.maxNotificationPerPublishHighLimit: the cap on what a client may ask for, and what
// it gets when it asks for 0 = "no limit").
//
// stdout, one line each (the benchmark reads them):
//   READY <endpoint url>
//   T <tick number> <source timestamp, ms since the epoch>        every tick
//   S <json>   every second: ticks, Publish requests queued per session, per subscription the
//              notifications sent, notification messages sent, backlog and queue overflows
"use strict";

const path = require("path");
const {
    OPCUAServer,
    OPCUACertificateManager,
    MessageSecurityMode,
    SecurityPolicy,
    DataType,
    Variant,
    StatusCodes,
    Subscription,
    WellKnownRoles,
    PermissionFlag,
    AccessRestrictionsFlag,
    MonitoredItem,
    AttributeIds,
} = require("node-opcua");

function option(name, fallback) {
    const i = process.argv.indexOf(`--${name}`);
    return i > 0 && i + 1 < process.argv.length ? process.argv[i + 1] : fallback;
}

const port = parseInt(option("port", "4840"), 10);
const tagCount = parseInt(option("tags", "10000"), 10);
const intervalMs = parseFloat(option("interval", "100"));
const maxNotifications = parseInt(option("max-notifications", "1000"), 10);
const pki = option("pki", path.join(__dirname, "pki"));
const NAMESPACE = "urn:millwright:foreign";

Subscription.maxNotificationPerPublishHighLimit = maxNotifications;

// Our tags report by exception, like a PLC that pushes its changes: a monitored item on them is
// recorded on every change, its (revised) sampling interval the window over which changes are
// coalesced. node-opcua does this only when a client asks for sampling 0; for the 100 ms our
// clients ask, it would poll every item with a timer of its own: most of the server's CPU, and on
// a loaded machine that timer slips against the update timer and whole ticks go unsampled
// (the server's loss, not the client's).
const busyNodes = new WeakSet();
const setParameters = MonitoredItem.prototype._set_parameters;
MonitoredItem.prototype._set_parameters = function (parameters) {
    setParameters.call(this, parameters);
    if (this.node && busyNodes.has(this.node) && this.itemToMonitor.attributeId === AttributeIds.Value) {
        this._exceptionBased = true;
    }
};

let tick = 0;
let stamp = new Date();

function statusLine(server) {
    const sessions = server.engine.getSessions().map((session) => {
        const engine = session.publishEngine;
        return {
            pending_publish: engine ? engine.pendingPublishRequestCount : 0,
            subscriptions: (engine ? engine.subscriptions : []).map((sub) => {
                const d = sub.subscriptionDiagnostics;
                return {
                    id: sub.id,
                    items: sub.monitoredItemCount,
                    max_notifications_per_publish: sub.maxNotificationsPerPublish,
                    notifications: d.dataChangeNotificationsCount,
                    messages: d.publishRequestCount,
                    backlog: sub.pendingNotificationsCount,
                    queue_overflows: d.monitoringQueueOverflowCount,
                    late_publish: d.latePublishRequestCount,
                };
            }),
        };
    });
    return "S " + JSON.stringify({ ticks: tick, stamp_ms: stamp.getTime(), sessions });
}

async function main() {
    const serverCertificateManager = new OPCUACertificateManager({
        rootFolder: path.join(pki, "server"),
        automaticallyAcceptUnknownCertificate: true,
    });
    const server = new OPCUAServer({
        port,
        host: "127.0.0.1",
        hostname: "127.0.0.1",
        securityModes: [MessageSecurityMode.None],
        securityPolicies: [SecurityPolicy.None],
        allowAnonymous: true,
        serverCertificateManager,
        buildInfo: { productName: "Millwright benchmark server (node-opcua)" },
        serverCapabilities: {
            maxSessions: 10,
            maxMonitoredItemsPerSubscription: 100000,
            operationLimits: { maxMonitoredItemsPerCall: 1000, maxNodesPerRead: 1000, maxNodesPerBrowse: 1000 },
        },
    });
    await server.initialize();

    const addressSpace = server.engine.addressSpace;
    const namespace = addressSpace.registerNamespace(NAMESPACE);
    const folder = namespace.addFolder(addressSpace.rootFolder.objects, { browseName: "Busy", nodeId: "s=Busy" });
    namespace.addVariable({
        componentOf: folder,
        browseName: "Updates",
        nodeId: "s=Updates",
        dataType: "UInt32",
        minimumSamplingInterval: intervalMs,
        value: { get: () => new Variant({ dataType: DataType.UInt32, value: tick }) },
    });
    // Permissions on the node itself: without them every sample of every monitored item looks up
    // the namespace's default role permissions by browse name, a third of the server's time.
    const readable = PermissionFlag.Browse | PermissionFlag.Read | PermissionFlag.ReadRolePermissions
        | PermissionFlag.ReceiveEvents;
    const rolePermissions = [WellKnownRoles.Anonymous, WellKnownRoles.AuthenticatedUser]
        .map((roleId) => ({ roleId, permissions: readable }));
    const variables = [];
    for (let i = 0; i < tagCount; i++) {
        const name = `Tag${String(i).padStart(5, "0")}`;
        const variable = namespace.addVariable({
            componentOf: folder,
            browseName: name,
            nodeId: `s=${name}`,
            dataType: "Double",
            minimumSamplingInterval: intervalMs,
            rolePermissions,
            accessRestrictions: AccessRestrictionsFlag.None,
            value: new Variant({ dataType: DataType.Double, value: 0 }),
        });
        busyNodes.add(variable);
        variables.push(variable);
    }

    // One timer changes every value (a sine per tag plus the tick number, so every tick is a change),
    // all stamped with the tick's source time; the monitored items sample them every 100 ms.
    setInterval(() => {
        tick += 1;
        stamp = new Date();
        for (let i = 0; i < tagCount; i++) {
            const value = tick + Math.sin((tick + i) / 10);
            variables[i].setValueFromSource(new Variant({ dataType: DataType.Double, value }), StatusCodes.Good, stamp);
        }
        process.stdout.write(`T ${tick} ${stamp.getTime()}\n`);
    }, intervalMs);
    setInterval(() => process.stdout.write(statusLine(server) + "\n"), 1000);

    await server.start();
    process.stdout.write(`READY ${server.getEndpointUrl()}\n`);

    const stop = async () => {
        await server.shutdown(0);
        process.exit(0);
    };
    process.on("SIGTERM", stop);
    process.on("SIGINT", stop);
}

main().catch((err) => {
    process.stderr.write(`server failed: ${err && err.stack ? err.stack : err}\n`);
    process.exit(1);
});
