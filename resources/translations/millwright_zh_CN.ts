<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="zh_CN">
<context>
    <name>AboutDialog</name>
    <message>
        <source>About Millwright</source>
        <translation>关于 Millwright</translation>
    </message>
    <message>
        <source>&lt;h2&gt;Millwright {version}&lt;/h2&gt;&lt;p&gt;Low-code engineering workbench for industrial apps.&lt;/p&gt;</source>
        <translation>&lt;h2&gt;Millwright {version}&lt;/h2&gt;&lt;p&gt;面向工业 APP 的低代码工程工作台。&lt;/p&gt;</translation>
    </message>
    <message>
        <source>Settings folder: {folder}</source>
        <translation>设置文件夹：{folder}</translation>
    </message>
    <message>
        <source>Copy versions</source>
        <translation>复制版本信息</translation>
    </message>
</context>
<context>
    <name>Activity</name>
    <message>
        <source>Cancel</source>
        <translation>取消</translation>
    </message>
    <message>
        <source>Cancelled.</source>
        <translation>已取消。</translation>
    </message>
</context>
<context>
    <name>AddressSpaceModel</name>
    <message>
        <source>Loading…</source>
        <translation>正在加载…</translation>
    </message>
    <message>
        <source>Address space</source>
        <translation>地址空间</translation>
    </message>
</context>
<context>
    <name>AddressSpaceView</name>
    <message>
        <source>Filter loaded nodes</source>
        <translation>筛选已加载的节点</translation>
    </message>
    <message>
        <source>Not connected. Connect the device to browse its address space.</source>
        <translation>未连接。请先连接设备，再浏览其地址空间。</translation>
    </message>
    <message>
        <source>Copy NodeId</source>
        <translation>复制 NodeId</translation>
    </message>
    <message>
        <source>Copy browse path</source>
        <translation>复制浏览路径</translation>
    </message>
    <message>
        <source>Add to watch list</source>
        <translation>添加到监视列表</translation>
    </message>
    <message>
        <source>Read history into a trend</source>
        <translation>历史读取到趋势</translation>
    </message>
    <message>
        <source>Call method…</source>
        <translation>调用方法…</translation>
    </message>
    <message>
        <source>Show events</source>
        <translation>显示事件</translation>
    </message>
    <message>
        <source>Refresh</source>
        <translation>刷新</translation>
    </message>
    <message>
        <source>Save as profile…</source>
        <translation>另存为配置文件…</translation>
    </message>
</context>
<context>
    <name>AlignActions</name>
    <message>
        <source>Align Left</source>
        <translation>左对齐</translation>
    </message>
    <message>
        <source>Align Right</source>
        <translation>右对齐</translation>
    </message>
    <message>
        <source>Align Top</source>
        <translation>顶端对齐</translation>
    </message>
    <message>
        <source>Align Bottom</source>
        <translation>底端对齐</translation>
    </message>
    <message>
        <source>Align Centres</source>
        <translation>水平居中对齐</translation>
    </message>
    <message>
        <source>Align Middles</source>
        <translation>垂直居中对齐</translation>
    </message>
    <message>
        <source>Distribute Horizontally</source>
        <translation>水平等距分布</translation>
    </message>
    <message>
        <source>Distribute Vertically</source>
        <translation>垂直等距分布</translation>
    </message>
</context>
<context>
    <name>AppPanel</name>
    <message>
        <source>Manifest</source>
        <translation>清单</translation>
    </message>
    <message>
        <source>Build</source>
        <translation>构建</translation>
    </message>
    <message>
        <source>Publish</source>
        <translation>发布</translation>
    </message>
    <message>
        <source>Catalogue</source>
        <translation>应用目录</translation>
    </message>
    <message>
        <source>App</source>
        <translation>应用</translation>
    </message>
    <message>
        <source>New app…</source>
        <translation>新建应用…</translation>
    </message>
    <message>
        <source>New app from a graph: write apps/&lt;graph&gt;/app.yaml derived from one of the project&apos;s graphs</source>
        <translation>从模型图新建应用：根据项目中的某个模型图生成 apps/&lt;graph&gt;/app.yaml</translation>
    </message>
    <message>
        <source>No apps in this project</source>
        <translation>此项目中没有应用</translation>
    </message>
</context>
<context>
    <name>BindingField</name>
    <message>
        <source>Not bound: a live run cannot feed this input.</source>
        <translation>未绑定：实时运行时无法为此输入提供数据。</translation>
    </message>
    <message>
        <source>in {unit}</source>
        <translation>单位 {unit}</translation>
    </message>
    <message>
        <source>unit not known</source>
        <translation>单位未知</translation>
    </message>
    <message>
        <source>device {device} is in the project</source>
        <translation>设备 {device} 在项目中</translation>
    </message>
    <message>
        <source>The project has no device &apos;{device}&apos;.</source>
        <translation>项目中没有设备“{device}”。</translation>
    </message>
    <message>
        <source>device/point, or drop a tag here</source>
        <translation>设备/点位，或将变量拖放到此处</translation>
    </message>
    <message>
        <source>The device tag that feeds this input in a live run, from the project&apos;s bindings.yaml: type device/point or device@address, or drop a tag from the device browser</source>
        <translation>实时运行时为此输入提供数据的设备变量，取自项目的 bindings.yaml：输入“设备/点位”或“设备@地址”，或从“设备浏览”中拖放一个变量</translation>
    </message>
    <message>
        <source>Clear</source>
        <translation>清空</translation>
    </message>
    <message>
        <source>Unbind this input</source>
        <translation>解除此输入的绑定</translation>
    </message>
</context>
<context>
    <name>BuildView</name>
    <message>
        <source>Signing with {key}</source>
        <translation>正在使用 {key} 签名</translation>
    </message>
    <message>
        <source>Cancelled: nothing was written</source>
        <translation>已取消：未写入任何内容</translation>
    </message>
    <message>
        <source>Cancelling…</source>
        <translation>正在取消…</translation>
    </message>
    <message>
        <source>Built {archive}, but it could not be signed: {reason}</source>
        <translation>已构建 {archive}，但无法签名：{reason}</translation>
    </message>
    <message>
        <source>, signed</source>
        <translation>，已签名</translation>
    </message>
    <message>
        <source>, not signed</source>
        <translation>，未签名</translation>
    </message>
    <message>
        <source>Built {archive}{signed}</source>
        <translation>已构建 {archive}{signed}</translation>
    </message>
    <message>
        <source>Done</source>
        <translation>完成</translation>
    </message>
    <message>
        <source>{size} bytes</source>
        <translation>{size} 字节</translation>
    </message>
    <message>
        <source>problem</source>
        <translation>问题</translation>
    </message>
    <message>
        <source>passed</source>
        <translation>通过</translation>
    </message>
    <message>
        <source>failed</source>
        <translation>失败</translation>
    </message>
    <message>
        <source>Build</source>
        <translation>构建</translation>
    </message>
    <message>
        <source>Save the manifest, check the app, run its golden tests and write build/ID-VERSION.iapp</source>
        <translation>保存清单、检查应用、运行其金标准测试，并写入 build/ID-VERSION.iapp</translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation>取消</translation>
    </message>
    <message>
        <source>Archive</source>
        <translation>应用包</translation>
    </message>
    <message>
        <source>Size</source>
        <translation>大小</translation>
    </message>
    <message>
        <source>SHA-256</source>
        <translation>SHA-256</translation>
    </message>
    <message>
        <source>Golden tests</source>
        <translation>金标准测试</translation>
    </message>
    <message>
        <source>Problems and notes</source>
        <translation>问题与说明</translation>
    </message>
    <message>
        <source>Test</source>
        <translation>测试</translation>
    </message>
    <message>
        <source>Output</source>
        <translation>输出</translation>
    </message>
    <message>
        <source>Status</source>
        <translation>状态</translation>
    </message>
    <message>
        <source>First failing time</source>
        <translation>首次失败时间</translation>
    </message>
    <message>
        <source>Expected</source>
        <translation>期望值</translation>
    </message>
    <message>
        <source>Actual</source>
        <translation>实际值</translation>
    </message>
    <message>
        <source>Difference</source>
        <translation>差值</translation>
    </message>
</context>
<context>
    <name>CatalogBrowser</name>
    <message>
        <source>Reading {url}…</source>
        <translation>正在读取 {url}…</translation>
    </message>
    <message>
        <source>Stopped waiting for {url}</source>
        <translation>已停止等待 {url}</translation>
    </message>
    <message numerus="yes">
        <source>{url}: %n app(s)</source>
        <translation>
            <numerusform>{url}：%n 个应用</numerusform>
        </translation>
    </message>
    <message>
        <source>trusted</source>
        <translation>受信任</translation>
    </message>
    <message>
        <source>untrusted</source>
        <translation>不受信任</translation>
    </message>
    <message>
        <source>unsigned</source>
        <translation>未签名</translation>
    </message>
    <message>
        <source>Industry</source>
        <translation>行业</translation>
    </message>
    <message>
        <source>Lifecycle stage</source>
        <translation>生命周期阶段</translation>
    </message>
    <message>
        <source>Application level</source>
        <translation>应用层级</translation>
    </message>
    <message>
        <source>Generality</source>
        <translation>通用性</translation>
    </message>
    <message>
        <source>Maturity</source>
        <translation>成熟度</translation>
    </message>
    <message>
        <source>Licence</source>
        <translation>许可证</translation>
    </message>
    <message>
        <source>Signature</source>
        <translation>签名</translation>
    </message>
    <message>
        <source>Size</source>
        <translation>大小</translation>
    </message>
    <message>
        <source>{size} bytes</source>
        <translation>{size} 字节</translation>
    </message>
    <message>
        <source>SHA-256</source>
        <translation>SHA-256</translation>
    </message>
    <message>
        <source>Built</source>
        <translation>构建时间</translation>
    </message>
    <message>
        <source>unsigned: sites refuse it unless they allow unsigned apps</source>
        <translation>未签名：除非现场允许未签名的应用，否则会拒绝安装</translation>
    </message>
    <message>
        <source>trusted here</source>
        <translation>在本机受信任</translation>
    </message>
    <message>
        <source>not trusted here: add the publisher&apos;s public key to install it</source>
        <translation>在本机不受信任：添加发布者的公钥后才能安装</translation>
    </message>
    <message>
        <source>Pull into folder</source>
        <translation>拉取到文件夹</translation>
    </message>
    <message>
        <source>Pulling {id} {version}…</source>
        <translation>正在拉取 {id} {version}…</translation>
    </message>
    <message>
        <source>Pulled to {path}</source>
        <translation>已拉取到 {path}</translation>
    </message>
    <message>
        <source>Open</source>
        <translation>打开</translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation>取消</translation>
    </message>
    <message>
        <source>Search id, name and description (English or Chinese)</source>
        <translation>搜索 ID、名称和说明（英文或中文）</translation>
    </message>
    <message>
        <source>Lifecycle</source>
        <translation>生命周期</translation>
    </message>
    <message>
        <source>Level</source>
        <translation>层级</translation>
    </message>
    <message>
        <source>Maturity at least</source>
        <translation>最低成熟度</translation>
    </message>
    <message>
        <source>Id</source>
        <translation>ID</translation>
    </message>
    <message>
        <source>Name</source>
        <translation>名称</translation>
    </message>
    <message>
        <source>Latest</source>
        <translation>最新版本</translation>
    </message>
    <message>
        <source>Versions</source>
        <translation>版本</translation>
    </message>
    <message>
        <source>Pull…</source>
        <translation>拉取…</translation>
    </message>
    <message>
        <source>Install…</source>
        <translation>安装…</translation>
    </message>
    <message>
        <source>any</source>
        <translation>不限</translation>
    </message>
</context>
<context>
    <name>CertificateManager</name>
    <message>
        <source>OPC UA certificates</source>
        <translation>OPC UA 证书</translation>
    </message>
    <message>
        <source>T&amp;rusted servers</source>
        <translation>受信任的服务器(&amp;R)</translation>
    </message>
    <message>
        <source>Re&amp;jected servers</source>
        <translation>已拒绝的服务器(&amp;J)</translation>
    </message>
    <message>
        <source>This &amp;workbench</source>
        <translation>本工作台(&amp;W)</translation>
    </message>
    <message>
        <source>Subject</source>
        <translation>使用者</translation>
    </message>
    <message>
        <source>Endpoints</source>
        <translation>端点</translation>
    </message>
    <message>
        <source>SHA-256 fingerprint</source>
        <translation>SHA-256 指纹</translation>
    </message>
    <message>
        <source>Valid until</source>
        <translation>有效期至</translation>
    </message>
    <message>
        <source>&amp;Trust</source>
        <translation>信任(&amp;T)</translation>
    </message>
    <message>
        <source>Re&amp;move</source>
        <translation>移除(&amp;M)</translation>
    </message>
    <message>
        <source>&amp;Copy fingerprint</source>
        <translation>复制指纹(&amp;C)</translation>
    </message>
    <message>
        <source>&amp;Export…</source>
        <translation>导出(&amp;E)…</translation>
    </message>
    <message>
        <source>Subject:</source>
        <translation>使用者：</translation>
    </message>
    <message>
        <source>Application URI:</source>
        <translation>应用程序 URI：</translation>
    </message>
    <message>
        <source>SHA-256 fingerprint:</source>
        <translation>SHA-256 指纹：</translation>
    </message>
    <message>
        <source>Valid until:</source>
        <translation>有效期至：</translation>
    </message>
    <message>
        <source>Validity:</source>
        <translation>有效期：</translation>
    </message>
    <message>
        <source>File:</source>
        <translation>文件：</translation>
    </message>
    <message>
        <source>Re&amp;new…</source>
        <translation>更新(&amp;N)…</translation>
    </message>
    <message>
        <source>&amp;Show file</source>
        <translation>显示文件(&amp;S)</translation>
    </message>
    <message>
        <source>E&amp;xport…</source>
        <translation>导出(&amp;X)…</translation>
    </message>
    <message>
        <source>expired</source>
        <translation>已过期</translation>
    </message>
    <message>
        <source>None yet: it is made at the first secured connection, or with Renew.</source>
        <translation>尚无：首次建立安全连接时或点击“更新”时生成。</translation>
    </message>
    <message>
        <source>Create &amp;now</source>
        <translation>立即创建(&amp;N)</translation>
    </message>
    <message>
        <source>EXPIRED: renew it, then let every server trust the new one</source>
        <translation>已过期：请更新证书，然后让每台服务器信任新证书</translation>
    </message>
    <message numerus="yes">
        <source>%n day(s) left: renew it soon</source>
        <translation>
            <numerusform>剩余 %n 天：请尽快更新</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n day(s) left</source>
        <translation>
            <numerusform>剩余 %n 天</numerusform>
        </translation>
    </message>
    <message>
        <source>Trusted %1.</source>
        <translation>已信任 %1。</translation>
    </message>
    <message>
        <source>Removed %1; the next connection to that server asks again.</source>
        <translation>已移除 %1；下次连接该服务器时会再次询问。</translation>
    </message>
    <message>
        <source>Remove certificate</source>
        <translation>移除证书</translation>
    </message>
    <message>
        <source>Remove the certificate of %1?
SHA-256 %2</source>
        <translation>是否移除 %1 的证书？
SHA-256 %2</translation>
    </message>
    <message>
        <source>Fingerprint copied.</source>
        <translation>指纹已复制。</translation>
    </message>
    <message>
        <source>Written to %1.</source>
        <translation>已写入 %1。</translation>
    </message>
    <message>
        <source>Export certificate</source>
        <translation>导出证书</translation>
    </message>
    <message>
        <source>DER certificates (*.der *.cer)</source>
        <translation>DER 证书 (*.der *.cer)</translation>
    </message>
    <message>
        <source>A new certificate was made: every server must now trust it.</source>
        <translation>已生成新证书：现在每台服务器都必须信任它。</translation>
    </message>
    <message>
        <source>Renew certificate</source>
        <translation>更新证书</translation>
    </message>
    <message>
        <source>Make a new certificate for this workbench? Every server that trusts the current one must then be told to trust the new one.</source>
        <translation>是否为本工作台生成新证书？之后必须让每台信任当前证书的服务器改为信任新证书。</translation>
    </message>
</context>
<context>
    <name>ClassificationFields</name>
    <message>
        <source>whole section</source>
        <translation>整个门类</translation>
    </message>
    <message>
        <source>Not a GB/T 4754-2017 section</source>
        <translation>不是 GB/T 4754-2017 中的门类</translation>
    </message>
    <message>
        <source>GB/T 4754-2017: {name}, divisions {first:02d}–{last:02d}</source>
        <translation>GB/T 4754-2017：{name}，大类 {first:02d}–{last:02d}</translation>
    </message>
    <message>
        <source>GB/T 4754-2017: division {division} of {name}</source>
        <translation>GB/T 4754-2017：{name}下的大类 {division}</translation>
    </message>
    <message>
        <source>Industry</source>
        <translation>行业</translation>
    </message>
    <message>
        <source>Lifecycle stage</source>
        <translation>生命周期阶段</translation>
    </message>
    <message>
        <source>Application level</source>
        <translation>应用层级</translation>
    </message>
    <message>
        <source>Generality</source>
        <translation>通用性</translation>
    </message>
    <message>
        <source>Maturity</source>
        <translation>成熟度</translation>
    </message>
    <message>
        <source>Optional: the two-digit division within the section</source>
        <translation>可选：该门类下的两位数大类代码</translation>
    </message>
</context>
<context>
    <name>ConsoleView</name>
    <message>
        <source>Kernel: not started</source>
        <translation>内核：未启动</translation>
    </message>
    <message>
        <source>Kernel: starting…</source>
        <translation>内核：正在启动…</translation>
    </message>
    <message>
        <source>Kernel: ready</source>
        <translation>内核：就绪</translation>
    </message>
    <message>
        <source>Kernel: running code</source>
        <translation>内核：正在运行代码</translation>
    </message>
    <message>
        <source>Kernel: restarting…</source>
        <translation>内核：正在重启…</translation>
    </message>
    <message>
        <source>Kernel: stopped</source>
        <translation>内核：已停止</translation>
    </message>
    <message>
        <source>Kernel: failed to start (see the Log panel)</source>
        <translation>内核：启动失败（见“日志”面板）</translation>
    </message>
    <message>
        <source>no project open</source>
        <translation>未打开项目</translation>
    </message>
    <message>
        <source>Millwright console on {project}
  project             the open project: graphs, recordings, components
  recording(name)     a recording as a DataFrame
  run(graph, data)    a graph&apos;s outputs on a recording or DataFrame
  component(name)     a component class; add ? for its documentation
  try_component(name, data, columns, params)   one component on recorded data
  plot(frame)         the columns over time, drawn here
Ctrl+C interrupts, Ctrl+. restarts.

</source>
        <translation>Millwright 控制台：{project}
  project             当前打开的项目：模型图、录制数据、组件
  recording(name)     以 DataFrame 形式返回一段录制数据
  run(graph, data)    模型图在录制数据或 DataFrame 上的输出
  component(name)     组件类；加 ? 可查看其文档
  try_component(name, data, columns, params)   在录制数据上试运行一个组件
  plot(frame)         在此绘制各列随时间变化的曲线
Ctrl+C 中断，Ctrl+. 重启。

</translation>
    </message>
    <message>
        <source>Interrupt</source>
        <translation>中断</translation>
    </message>
    <message>
        <source>Interrupt the code that runs (Ctrl+C in the console)</source>
        <translation>中断正在运行的代码（在控制台中按 Ctrl+C）</translation>
    </message>
    <message>
        <source>Restart</source>
        <translation>重启</translation>
    </message>
    <message>
        <source>Start a fresh kernel: variables are lost, the helpers come back (Ctrl+.)</source>
        <translation>启动一个新内核：变量会丢失，辅助函数会重新载入（Ctrl+.）</translation>
    </message>
    <message>
        <source>The Python console starts when this panel is shown.</source>
        <translation>显示此面板时启动 Python 控制台。</translation>
    </message>
</context>
<context>
    <name>CreateKeyDialog</name>
    <message>
        <source>Create a signing key</source>
        <translation>创建签名密钥</translation>
    </message>
    <message>
        <source>Name</source>
        <translation>名称</translation>
    </message>
    <message>
        <source>Private key in</source>
        <translation>私钥保存在</translation>
    </message>
    <message>
        <source>Public key file</source>
        <translation>公钥文件</translation>
    </message>
    <message>
        <source>This computer</source>
        <translation>本机</translation>
    </message>
    <message>
        <source>the keyring</source>
        <translation>密钥环</translation>
    </message>
    <message>
        <source>a file</source>
        <translation>文件</translation>
    </message>
    <message>
        <source>Trust this key here (to install your own apps)</source>
        <translation>在本机信任此密钥（以便安装您自己的应用）</translation>
    </message>
    <message>
        <source>The private key never goes into a project. Give the public key file to the sites that install your apps.</source>
        <translation>私钥绝不会放入项目中。请将公钥文件交给安装您应用的各个现场。</translation>
    </message>
</context>
<context>
    <name>DataBrowserView</name>
    <message>
        <source>Store</source>
        <translation>数据存储</translation>
    </message>
    <message>
        <source>data/recordings.sqlite or postgresql+psycopg://user@host/db</source>
        <translation>data/recordings.sqlite 或 postgresql+psycopg://用户@主机/数据库</translation>
    </message>
    <message>
        <source>Open</source>
        <translation>打开</translation>
    </message>
    <message>
        <source>Browse…</source>
        <translation>浏览…</translation>
    </message>
    <message>
        <source>Recording</source>
        <translation>录制数据</translation>
    </message>
    <message>
        <source>Operator</source>
        <translation>操作员</translation>
    </message>
    <message>
        <source>Start</source>
        <translation>开始时间</translation>
    </message>
    <message>
        <source>Duration</source>
        <translation>时长</translation>
    </message>
    <message>
        <source>Devices</source>
        <translation>设备</translation>
    </message>
    <message>
        <source>Samples</source>
        <translation>样本数</translation>
    </message>
    <message>
        <source>Size</source>
        <translation>大小</translation>
    </message>
    <message>
        <source>Tag</source>
        <translation>变量</translation>
    </message>
    <message>
        <source>Unit</source>
        <translation>单位</translation>
    </message>
    <message>
        <source>Count</source>
        <translation>数量</translation>
    </message>
    <message>
        <source>Min</source>
        <translation>最小值</translation>
    </message>
    <message>
        <source>Max</source>
        <translation>最大值</translation>
    </message>
    <message>
        <source>Mean</source>
        <translation>平均值</translation>
    </message>
    <message>
        <source>Gaps</source>
        <translation>中断次数</translation>
    </message>
    <message>
        <source>Label</source>
        <translation>标签</translation>
    </message>
    <message>
        <source>End</source>
        <translation>结束时间</translation>
    </message>
    <message>
        <source>Note</source>
        <translation>备注</translation>
    </message>
    <message>
        <source>&amp;Label</source>
        <translation>标签(&amp;L)</translation>
    </message>
    <message>
        <source>N&amp;ote</source>
        <translation>备注(&amp;O)</translation>
    </message>
    <message>
        <source>e.g. pump cavitating</source>
        <translation>例如：泵发生汽蚀</translation>
    </message>
    <message>
        <source>Select range</source>
        <translation>选择范围</translation>
    </message>
    <message>
        <source>Select the middle of the plot; Shift+drag on the plot selects a range</source>
        <translation>选中曲线图的中间部分；在曲线图上按住 Shift 拖动可选择范围</translation>
    </message>
    <message>
        <source>Annotate</source>
        <translation>标注</translation>
    </message>
    <message>
        <source>Label the selected range</source>
        <translation>为所选范围添加标注</translation>
    </message>
    <message>
        <source>Apply</source>
        <translation>应用</translation>
    </message>
    <message>
        <source>Save the label and note of the chosen annotation</source>
        <translation>保存所选标注的标签和备注</translation>
    </message>
    <message>
        <source>Delete</source>
        <translation>删除</translation>
    </message>
    <message>
        <source>Delete the chosen annotation (Delete)</source>
        <translation>删除所选标注（Delete）</translation>
    </message>
    <message>
        <source>Whole recording</source>
        <translation>整段录制数据</translation>
    </message>
    <message>
        <source>Show the whole recording</source>
        <translation>显示整段录制数据</translation>
    </message>
    <message>
        <source>Reload</source>
        <translation>重新加载</translation>
    </message>
    <message>
        <source>Read the recordings again (a recorder may have added samples or recordings)</source>
        <translation>重新读取录制数据（录制器可能已添加了样本或新的录制数据）</translation>
    </message>
    <message>
        <source>Export range…</source>
        <translation>导出范围…</translation>
    </message>
    <message>
        <source>Write the selected (or visible) range of the ticked tags to CSV, Parquet or Excel</source>
        <translation>将已勾选变量在所选（或可见）范围内的数据写入 CSV、Parquet 或 Excel 文件</translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation>取消</translation>
    </message>
    <message>
        <source>Call off the running read or export (Esc)</source>
        <translation>取消正在进行的读取或导出（Esc）</translation>
    </message>
    <message>
        <source>Open a project with recordings, or a store by path or URL.</source>
        <translation>请打开含有录制数据的项目，或按路径或 URL 打开数据存储。</translation>
    </message>
    <message>
        <source>This project has no recordings yet ({path}).</source>
        <translation>此项目还没有录制数据（{path}）。</translation>
    </message>
    <message>
        <source>The store {path} holds no recordings.</source>
        <translation>数据存储 {path} 中没有录制数据。</translation>
    </message>
    <message>
        <source>Read-only: {reason}</source>
        <translation>只读：{reason}</translation>
    </message>
    <message>
        <source>Open a recording store</source>
        <translation>打开录制数据存储</translation>
    </message>
    <message>
        <source>Recording stores (*.sqlite);;All files (*)</source>
        <translation>录制数据存储 (*.sqlite);;所有文件 (*)</translation>
    </message>
    <message>
        <source>Opening {store}</source>
        <translation>正在打开 {store}</translation>
    </message>
    <message>
        <source>Reading recordings</source>
        <translation>正在读取录制数据</translation>
    </message>
    <message>
        <source>Reading tags of {recording}</source>
        <translation>正在读取 {recording} 的变量</translation>
    </message>
    <message>
        <source>Reading samples</source>
        <translation>正在读取样本</translation>
    </message>
    <message>
        <source>Select a range first: Shift+drag on the plot, or Select range.</source>
        <translation>请先选择范围：在曲线图上按住 Shift 拖动，或点击“选择范围”。</translation>
    </message>
    <message>
        <source>Give the annotation a label.</source>
        <translation>请为标注填写标签。</translation>
    </message>
    <message>
        <source>Annotating</source>
        <translation>正在添加标注</translation>
    </message>
    <message>
        <source>Changing an annotation</source>
        <translation>正在修改标注</translation>
    </message>
    <message>
        <source>Deleting an annotation</source>
        <translation>正在删除标注</translation>
    </message>
    <message>
        <source>Export a range</source>
        <translation>导出范围</translation>
    </message>
    <message>
        <source>CSV (*.csv);;Parquet (*.parquet);;Excel (*.xlsx)</source>
        <translation>CSV (*.csv);;Parquet (*.parquet);;Excel (*.xlsx)</translation>
    </message>
    <message>
        <source>Exporting to {file}</source>
        <translation>正在导出到 {file}</translation>
    </message>
    <message>
        <source>{rows} rows written to {file}</source>
        <translation>已将 {rows} 行写入 {file}</translation>
    </message>
</context>
<context>
    <name>DeviceBrowserView</name>
    <message>
        <source>Choose a device in the Devices view (Enter) to browse its tags here.</source>
        <translation>在“设备”视图中选择一个设备（按 Enter），即可在此浏览其变量。</translation>
    </message>
</context>
<context>
    <name>DeviceDialog</name>
    <message>
        <source>Give the device an id (letters, digits, _ . : -).</source>
        <translation>请为设备指定 ID（字母、数字、_ . : -）。</translation>
    </message>
    <message>
        <source>The id may not contain %1: use letters, digits and _ . : - only.</source>
        <translation>ID 不能包含 %1：只能使用字母、数字和 _ . : -。</translation>
    </message>
    <message>
        <source>The project already has a device with the id %1.</source>
        <translation>项目中已有 ID 为 %1 的设备。</translation>
    </message>
    <message>
        <source>Type the server&apos;s endpoint URL, e.g. opc.tcp://192.168.0.10:4840.</source>
        <translation>请输入服务器的端点 URL，例如 opc.tcp://192.168.0.10:4840。</translation>
    </message>
    <message>
        <source>An OPC UA endpoint URL starts with opc.tcp:// (not %1).</source>
        <translation>OPC UA 端点 URL 以 opc.tcp:// 开头（而不是 %1）。</translation>
    </message>
    <message>
        <source>The port in %1 is not a number from 1 to 65535.</source>
        <translation>%1 中的端口不是 1 到 65535 之间的数字。</translation>
    </message>
    <message>
        <source>The endpoint URL %1 names no host.</source>
        <translation>端点 URL %1 中没有主机名。</translation>
    </message>
    <message>
        <source>Security policy None goes with mode None, and a policy with Sign or SignAndEncrypt (not %1).</source>
        <translation>安全策略 None 须搭配模式 None，其他安全策略须搭配 Sign 或 SignAndEncrypt（而不是 %1）。</translation>
    </message>
    <message>
        <source>Type the user name, or choose Anonymous.</source>
        <translation>请输入用户名，或选择“匿名”。</translation>
    </message>
    <message>
        <source>Type the device&apos;s host name or IP address.</source>
        <translation>请输入设备的主机名或 IP 地址。</translation>
    </message>
    <message>
        <source>%1 is not a host name or IP address.</source>
        <translation>%1 不是主机名或 IP 地址。</translation>
    </message>
    <message>
        <source>Choose or type the serial port, e.g. /dev/ttyUSB0 or COM3.</source>
        <translation>请选择或输入串口，例如 /dev/ttyUSB0 或 COM3。</translation>
    </message>
    <message>
        <source>Connecting…</source>
        <translation>正在连接…</translation>
    </message>
    <message>
        <source>Connected: %1 / %2 of %3 points readable</source>
        <translation>已连接：%1 / %3 个点位中有 %2 个可读</translation>
    </message>
    <message>
        <source>Connected: %1 (the device has no points yet)</source>
        <translation>已连接：%1（设备还没有点位）</translation>
    </message>
    <message>
        <source>Add device</source>
        <translation>添加设备</translation>
    </message>
    <message>
        <source>Edit device</source>
        <translation>编辑设备</translation>
    </message>
    <message>
        <source>Device &amp;id:</source>
        <translation>设备 ID(&amp;I)：</translation>
    </message>
    <message>
        <source>&amp;Name:</source>
        <translation>名称(&amp;N)：</translation>
    </message>
    <message>
        <source>Manu&amp;facturer:</source>
        <translation>制造商(&amp;F)：</translation>
    </message>
    <message>
        <source>Mo&amp;del:</source>
        <translation>型号(&amp;D)：</translation>
    </message>
    <message>
        <source>P&amp;rotocol:</source>
        <translation>协议(&amp;R)：</translation>
    </message>
    <message>
        <source>OPC UA</source>
        <translation>OPC UA</translation>
    </message>
    <message>
        <source>Modbus TCP</source>
        <translation>Modbus TCP</translation>
    </message>
    <message>
        <source>Modbus RTU (serial line)</source>
        <translation>Modbus RTU（串行线路）</translation>
    </message>
    <message>
        <source>Modbus RTU over TCP (gateway)</source>
        <translation>Modbus RTU over TCP（网关）</translation>
    </message>
    <message>
        <source>e.g. pump-station-1</source>
        <translation>例如：pump-station-1</translation>
    </message>
    <message>
        <source>&amp;Test connection</source>
        <translation>测试连接(&amp;T)</translation>
    </message>
</context>
<context>
    <name>DevicesModel</name>
    <message>
        <source>Device</source>
        <translation>设备</translation>
    </message>
    <message>
        <source>Protocol</source>
        <translation>协议</translation>
    </message>
    <message>
        <source>Address</source>
        <translation>地址</translation>
    </message>
    <message>
        <source>State</source>
        <translation>状态</translation>
    </message>
    <message>
        <source>Requests</source>
        <translation>请求数</translation>
    </message>
    <message>
        <source>Errors</source>
        <translation>错误数</translation>
    </message>
    <message>
        <source>Reconnects</source>
        <translation>重连次数</translation>
    </message>
    <message>
        <source>profile not usable: {problem}</source>
        <translation>配置文件不可用：{problem}</translation>
    </message>
    <message>
        <source>connected</source>
        <translation>已连接</translation>
    </message>
    <message>
        <source>connecting…</source>
        <translation>正在连接…</translation>
    </message>
    <message>
        <source>reconnecting (attempt {attempt}): {reason}</source>
        <translation>正在重连（第 {attempt} 次）：{reason}</translation>
    </message>
    <message>
        <source>failed: {reason}</source>
        <translation>失败：{reason}</translation>
    </message>
    <message>
        <source>not connected</source>
        <translation>未连接</translation>
    </message>
</context>
<context>
    <name>DevicesView</name>
    <message>
        <source>&amp;Connect</source>
        <translation>连接(&amp;C)</translation>
    </message>
    <message>
        <source>Connect to the selected device</source>
        <translation>连接所选设备</translation>
    </message>
    <message>
        <source>&amp;Disconnect</source>
        <translation>断开连接(&amp;D)</translation>
    </message>
    <message>
        <source>Close the connection to the selected device</source>
        <translation>关闭与所选设备的连接</translation>
    </message>
    <message>
        <source>&amp;Add device…</source>
        <translation>添加设备(&amp;A)…</translation>
    </message>
    <message>
        <source>Add an OPC UA or Modbus device to the project</source>
        <translation>向项目添加 OPC UA 或 Modbus 设备</translation>
    </message>
    <message>
        <source>&amp;Edit…</source>
        <translation>编辑(&amp;E)…</translation>
    </message>
    <message>
        <source>Change the selected device&apos;s connection</source>
        <translation>更改所选设备的连接设置</translation>
    </message>
    <message>
        <source>D&amp;uplicate</source>
        <translation>复制设备(&amp;U)</translation>
    </message>
    <message>
        <source>Copy the selected device under a new id</source>
        <translation>以新 ID 复制所选设备</translation>
    </message>
    <message>
        <source>&amp;Remove…</source>
        <translation>移除(&amp;R)…</translation>
    </message>
    <message>
        <source>Delete the selected device&apos;s profile</source>
        <translation>删除所选设备的配置文件</translation>
    </message>
    <message>
        <source>Enable &amp;writes</source>
        <translation>启用写入(&amp;W)</translation>
    </message>
    <message>
        <source>Allow writes to the selected device (off by default for every device)</source>
        <translation>允许向所选设备写入（所有设备默认关闭）</translation>
    </message>
    <message>
        <source>Certi&amp;ficates…</source>
        <translation>证书(&amp;F)…</translation>
    </message>
    <message>
        <source>Trusted and rejected server certificates, and this workbench&apos;s own</source>
        <translation>受信任和已拒绝的服务器证书，以及本工作台自己的证书</translation>
    </message>
    <message>
        <source>Enter opens the device&apos;s tags; the context menu has every action.</source>
        <translation>按 Enter 打开设备的变量；右键菜单中有全部操作。</translation>
    </message>
    <message>
        <source>Remove device</source>
        <translation>移除设备</translation>
    </message>
    <message>
        <source>Remove &apos;{device}&apos; from the project? Its profile file is deleted.</source>
        <translation>是否从项目中移除“{device}”？其配置文件将被删除。</translation>
    </message>
    <message>
        <source>Remove</source>
        <translation>移除</translation>
    </message>
    <message>
        <source>Enable writes</source>
        <translation>启用写入</translation>
    </message>
    <message>
        <source>Allow writes to &apos;{device}&apos;? Each write still asks for confirmation and is recorded in the audit log.</source>
        <translation>是否允许向“{device}”写入？每次写入仍需确认，并会记录在审计日志中。</translation>
    </message>
</context>
<context>
    <name>EditorArea</name>
    <message>
        <source>{name} cannot be opened; the Log panel says why.</source>
        <translation>无法打开 {name}，原因见“日志”面板。</translation>
    </message>
    <message>
        <source>{name} was not saved: {reason}</source>
        <translation>{name} 未保存：{reason}</translation>
    </message>
    <message>
        <source>Unsaved graph</source>
        <translation>未保存的模型图</translation>
    </message>
    <message>
        <source>Save the changes to {name} before closing it?</source>
        <translation>关闭前是否保存对 {name} 的更改？</translation>
    </message>
    <message>
        <source>Comment</source>
        <translation>注释</translation>
    </message>
    <message>
        <source>Start</source>
        <translation>开始</translation>
    </message>
    <message>
        <source>&amp;Group selected nodes</source>
        <translation>将所选节点分组(&amp;G)</translation>
    </message>
    <message>
        <source>&amp;Ungroup</source>
        <translation>取消分组(&amp;U)</translation>
    </message>
    <message>
        <source>Save as Co&amp;mponent…</source>
        <translation>另存为组件(&amp;M)…</translation>
    </message>
    <message>
        <source>Add &amp;comment</source>
        <translation>添加注释(&amp;C)</translation>
    </message>
    <message>
        <source>&amp;Frame selected nodes</source>
        <translation>用框架框住所选节点(&amp;F)</translation>
    </message>
    <message>
        <source>Align &amp;left edges</source>
        <translation>左边缘对齐(&amp;L)</translation>
    </message>
    <message>
        <source>Align &amp;right edges</source>
        <translation>右边缘对齐(&amp;R)</translation>
    </message>
    <message>
        <source>Align &amp;top edges</source>
        <translation>上边缘对齐(&amp;T)</translation>
    </message>
    <message>
        <source>Align &amp;bottom edges</source>
        <translation>下边缘对齐(&amp;B)</translation>
    </message>
    <message>
        <source>Distribute &amp;horizontally</source>
        <translation>水平等距分布(&amp;H)</translation>
    </message>
    <message>
        <source>Distribute &amp;vertically</source>
        <translation>垂直等距分布(&amp;V)</translation>
    </message>
</context>
<context>
    <name>EventTableModel</name>
    <message>
        <source>Time</source>
        <translation>时间</translation>
    </message>
    <message>
        <source>Source</source>
        <translation>来源</translation>
    </message>
    <message>
        <source>Severity</source>
        <translation>严重程度</translation>
    </message>
    <message>
        <source>Message</source>
        <translation>消息</translation>
    </message>
    <message>
        <source>Event type</source>
        <translation>事件类型</translation>
    </message>
</context>
<context>
    <name>EventsView</name>
    <message>
        <source>Start</source>
        <translation>开始</translation>
    </message>
    <message>
        <source>Stop</source>
        <translation>停止</translation>
    </message>
    <message>
        <source>Clear</source>
        <translation>清空</translation>
    </message>
    <message>
        <source>Choose an object in the address space and &quot;Show events&quot;.</source>
        <translation>请在地址空间中选择一个对象，然后选择“显示事件”。</translation>
    </message>
</context>
<context>
    <name>GraphCanvas</name>
    <message>
        <source>The component {type} is not installed</source>
        <translation>组件 {type} 未安装</translation>
    </message>
    <message>
        <source>Add inputs for {count} tag(s)</source>
        <translation>为 {count} 个变量添加输入</translation>
    </message>
    <message>
        <source>Already an input of this graph: {names}</source>
        <translation>已是此模型图的输入：{names}</translation>
    </message>
    <message>
        <source>This graph is not in a project: bind its inputs in the project&apos;s bindings.yaml</source>
        <translation>此模型图不在项目中：请在项目的 bindings.yaml 中绑定其输入</translation>
    </message>
    <message>
        <source>The inputs were added but not bound: {reason}</source>
        <translation>已添加输入，但未绑定：{reason}</translation>
    </message>
    <message>
        <source>Add {type}</source>
        <translation>添加 {type}</translation>
    </message>
    <message>
        <source>No port of {node} fits {port}</source>
        <translation>{node} 没有与 {port} 匹配的端口</translation>
    </message>
    <message>
        <source>The clipboard holds no Millwright nodes</source>
        <translation>剪贴板中没有 Millwright 节点</translation>
    </message>
</context>
<context>
    <name>InstallDialog</name>
    <message>
        <source>signed by {key}…, a trusted key</source>
        <translation>由受信任的密钥 {key}… 签名</translation>
    </message>
    <message>
        <source>unsigned, as allowed</source>
        <translation>未签名（已允许）</translation>
    </message>
    <message>
        <source>Every check passed ({signer}); the bindings feed every input:</source>
        <translation>所有检查均已通过（{signer}）；绑定为每个输入提供数据：</translation>
    </message>
    <message>
        <source>Installed {id} {version} in {path}</source>
        <translation>已将 {id} {version} 安装到 {path}</translation>
    </message>
    <message>
        <source>Goes to {folder}</source>
        <translation>将安装到 {folder}</translation>
    </message>
    <message>
        <source>Install into (a project or a site folder)</source>
        <translation>安装到（项目或现场文件夹）</translation>
    </message>
    <message>
        <source>Bindings file</source>
        <translation>绑定文件</translation>
    </message>
    <message>
        <source>Bindings (*.yaml *.yml)</source>
        <translation>绑定文件 (*.yaml *.yml)</translation>
    </message>
    <message>
        <source>Install {id} {version}</source>
        <translation>安装 {id} {version}</translation>
    </message>
    <message>
        <source>&lt;b&gt;{name}&lt;/b&gt; {version}</source>
        <translation>&lt;b&gt;{name}&lt;/b&gt; {version}</translation>
    </message>
    <message>
        <source>Install into</source>
        <translation>安装到</translation>
    </message>
    <message>
        <source>Choose…</source>
        <translation>选择…</translation>
    </message>
    <message>
        <source>Allow an unsigned app</source>
        <translation>允许未签名的应用</translation>
    </message>
    <message>
        <source>Check</source>
        <translation>检查</translation>
    </message>
    <message>
        <source>Verify the app and check the bindings against its inputs; nothing is installed</source>
        <translation>验证应用，并对照其输入检查绑定；不会安装任何内容</translation>
    </message>
    <message>
        <source>Install</source>
        <translation>安装</translation>
    </message>
</context>
<context>
    <name>InterpretView</name>
    <message>
        <source>Use this as a register-map entry</source>
        <translation>将此项用作寄存器映射表条目</translation>
    </message>
    <message>
        <source>Address</source>
        <translation>地址</translation>
    </message>
    <message>
        <source>Type</source>
        <translation>类型</translation>
    </message>
    <message>
        <source>Use this</source>
        <translation>使用此项</translation>
    </message>
    <message>
        <source>Add the selected reading to the register map (Enter)</source>
        <translation>将选中的解读添加到寄存器映射表（Enter）</translation>
    </message>
    <message>
        <source>Read a range and select registers to see them as every type and byte order.</source>
        <translation>读取一段地址并选择寄存器，即可查看其按各种类型和字节序的解读。</translation>
    </message>
    <message numerus="yes">
        <source>%1: %n register(s) as every type and byte order; plausible floats are highlighted</source>
        <translation>
            <numerusform>%1：%n 个寄存器按各种类型和字节序解读；合理的浮点数已高亮显示</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>KeyChooser</name>
    <message>
        <source>file</source>
        <translation>文件</translation>
    </message>
    <message>
        <source>keyring</source>
        <translation>密钥环</translation>
    </message>
    <message>
        <source>Private key file</source>
        <translation>私钥文件</translation>
    </message>
    <message>
        <source>PEM files (*.pem)</source>
        <translation>PEM 文件 (*.pem)</translation>
    </message>
    <message>
        <source>Sign with</source>
        <translation>使用密钥签名</translation>
    </message>
    <message>
        <source>Sign the archive after it is built; sites refuse unsigned apps</source>
        <translation>构建后对应用包签名；现场会拒绝未签名的应用</translation>
    </message>
    <message>
        <source>no key yet: create one</source>
        <translation>尚无密钥：请创建一个</translation>
    </message>
    <message>
        <source>Key file…</source>
        <translation>密钥文件…</translation>
    </message>
    <message>
        <source>Create key…</source>
        <translation>创建密钥…</translation>
    </message>
</context>
<context>
    <name>LogPanel</name>
    <message>
        <source>Debug and above</source>
        <translation>调试及以上</translation>
    </message>
    <message>
        <source>Info and above</source>
        <translation>信息及以上</translation>
    </message>
    <message>
        <source>Warnings and errors</source>
        <translation>警告和错误</translation>
    </message>
    <message>
        <source>Errors only</source>
        <translation>仅错误</translation>
    </message>
    <message>
        <source>Filter by source or text</source>
        <translation>按来源或内容筛选</translation>
    </message>
    <message>
        <source>Copy</source>
        <translation>复制</translation>
    </message>
    <message>
        <source>Copy the selected rows (or all shown rows) as tab-separated text</source>
        <translation>将选中的行（或全部显示的行）复制为制表符分隔的文本</translation>
    </message>
    <message>
        <source>Export…</source>
        <translation>导出…</translation>
    </message>
    <message>
        <source>Save the shown rows as a CSV file</source>
        <translation>将显示的行保存为 CSV 文件</translation>
    </message>
    <message>
        <source>Clear</source>
        <translation>清空</translation>
    </message>
    <message>
        <source>{count} records dropped</source>
        <translation>已丢弃 {count} 条记录</translation>
    </message>
    <message>
        <source>Export log</source>
        <translation>导出日志</translation>
    </message>
    <message>
        <source>CSV files (*.csv)</source>
        <translation>CSV 文件 (*.csv)</translation>
    </message>
</context>
<context>
    <name>LogTableModel</name>
    <message>
        <source>Time</source>
        <translation>时间</translation>
    </message>
    <message>
        <source>Level</source>
        <translation>级别</translation>
    </message>
    <message>
        <source>Source</source>
        <translation>来源</translation>
    </message>
    <message>
        <source>Message</source>
        <translation>消息</translation>
    </message>
</context>
<context>
    <name>MainWindow</name>
    <message>
        <source>Unexpected error</source>
        <translation>意外错误</translation>
    </message>
    <message>
        <source>Something went wrong: {error}

The details are in the Log panel; your project has not been changed by this error.</source>
        <translation>出现问题：{error}

详细信息见“日志”面板；此错误没有改动您的项目。</translation>
    </message>
    <message>
        <source>Cannot recover the project</source>
        <translation>无法恢复项目</translation>
    </message>
    <message>
        <source>Cannot create the project</source>
        <translation>无法创建项目</translation>
    </message>
    <message>
        <source>Cannot open the project</source>
        <translation>无法打开项目</translation>
    </message>
    <message>
        <source>Project opened read-only</source>
        <translation>项目以只读方式打开</translation>
    </message>
    <message>
        <source>Cannot save the project</source>
        <translation>无法保存项目</translation>
    </message>
    <message>
        <source>Saved {file}</source>
        <translation>已保存 {file}</translation>
    </message>
    <message>
        <source>Copying the project to {folder}…</source>
        <translation>正在将项目复制到 {folder}…</translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation>取消</translation>
    </message>
    <message>
        <source>Wait until the project is saved, then close again.</source>
        <translation>请等项目保存完成后再关闭。</translation>
    </message>
    <message>
        <source> (read-only)</source>
        <translation>（只读）</translation>
    </message>
    <message>
        <source>Read-only</source>
        <translation>只读</translation>
    </message>
    <message>
        <source>No devices connected</source>
        <translation>未连接设备</translation>
    </message>
    <message>
        <source>Devices: {connected}/{total} connected</source>
        <translation>设备：已连接 {connected}/{total}</translation>
    </message>
    <message>
        <source>Model: idle</source>
        <translation>模型：空闲</translation>
    </message>
    <message>
        <source>Model: running</source>
        <translation>模型：运行中</translation>
    </message>
    <message>
        <source>Model: paused</source>
        <translation>模型：已暂停</translation>
    </message>
    <message>
        <source>Model: failed</source>
        <translation>模型：失败</translation>
    </message>
</context>
<context>
    <name>ManifestEditor</name>
    <message>
        <source>{file} could not be saved: {reason}</source>
        <translation>无法保存 {file}：{reason}</translation>
    </message>
    <message>
        <source>Unsaved manifest</source>
        <translation>未保存的清单</translation>
    </message>
    <message>
        <source>{file} has unsaved changes.</source>
        <translation>{file} 有未保存的更改。</translation>
    </message>
    <message>
        <source>No app is open</source>
        <translation>没有打开的应用</translation>
    </message>
    <message>
        <source>No problems: the manifest matches its graph</source>
        <translation>没有问题：清单与其模型图一致</translation>
    </message>
    <message numerus="yes">
        <source>%n problem(s): click one to go to its field</source>
        <translation>
            <numerusform>%n 个问题：点击一项即可转到对应字段</numerusform>
        </translation>
    </message>
    <message>
        <source>The graph could not be read: {reason}</source>
        <translation>无法读取模型图：{reason}</translation>
    </message>
    <message>
        <source>Save</source>
        <translation>保存</translation>
    </message>
    <message>
        <source>Write app.yaml (problems and all: it can be fixed later)</source>
        <translation>写入 app.yaml（有问题也照样写入，之后可以修正）</translation>
    </message>
    <message>
        <source>Revert</source>
        <translation>还原</translation>
    </message>
</context>
<context>
    <name>ManifestForm</name>
    <message>
        <source>Golden test data</source>
        <translation>金标准测试数据</translation>
    </message>
    <message>
        <source>Recordings (*.csv *.parquet)</source>
        <translation>录制数据 (*.csv *.parquet)</translation>
    </message>
    <message>
        <source>General</source>
        <translation>常规</translation>
    </message>
    <message>
        <source>Classification and grading</source>
        <translation>分类与分级</translation>
    </message>
    <message>
        <source>Inputs and outputs</source>
        <translation>输入与输出</translation>
    </message>
    <message>
        <source>Site parameters</source>
        <translation>现场参数</translation>
    </message>
    <message>
        <source>Requirements, resources and permissions</source>
        <translation>依赖、资源与权限</translation>
    </message>
    <message>
        <source>Golden tests</source>
        <translation>金标准测试</translation>
    </message>
    <message>
        <source>Id</source>
        <translation>ID</translation>
    </message>
    <message>
        <source>Version</source>
        <translation>版本</translation>
    </message>
    <message>
        <source>Name</source>
        <translation>名称</translation>
    </message>
    <message>
        <source>Name (Chinese)</source>
        <translation>名称（中文）</translation>
    </message>
    <message>
        <source>Description</source>
        <translation>说明</translation>
    </message>
    <message>
        <source>Description (Chinese)</source>
        <translation>说明（中文）</translation>
    </message>
    <message>
        <source>Licence</source>
        <translation>许可证</translation>
    </message>
    <message>
        <source>Graph</source>
        <translation>模型图</translation>
    </message>
    <message>
        <source>Authors</source>
        <translation>作者</translation>
    </message>
    <message>
        <source>reverse-DNS, e.g. com.example.pump-efficiency</source>
        <translation>反向域名，例如 com.example.pump-efficiency</translation>
    </message>
    <message>
        <source>MAJOR.MINOR.PATCH, e.g. 1.0.0</source>
        <translation>主版本号.次版本号.修订号，例如 1.0.0</translation>
    </message>
    <message>
        <source>An SPDX licence expression</source>
        <translation>SPDX 许可证表达式</translation>
    </message>
    <message>
        <source>E-mail</source>
        <translation>电子邮件</translation>
    </message>
    <message>
        <source>Organisation</source>
        <translation>组织</translation>
    </message>
    <message>
        <source>Inputs (bound to tags at install)</source>
        <translation>输入（安装时绑定到变量）</translation>
    </message>
    <message>
        <source>Outputs</source>
        <translation>输出</translation>
    </message>
    <message>
        <source>Sync from graph</source>
        <translation>从模型图同步</translation>
    </message>
    <message>
        <source>Take the inputs, outputs and component versions from the graph, keeping descriptions and suggested bindings</source>
        <translation>从模型图读取输入、输出和组件版本，保留已有的说明和建议绑定</translation>
    </message>
    <message>
        <source>Unit</source>
        <translation>单位</translation>
    </message>
    <message>
        <source>Kind</source>
        <translation>种类</translation>
    </message>
    <message>
        <source>Suggested binding</source>
        <translation>建议绑定</translation>
    </message>
    <message>
        <source>device/point or device@address; a site binds its own</source>
        <translation>设备/点位 或 设备@地址；各现场会绑定自己的变量</translation>
    </message>
    <message>
        <source>Node</source>
        <translation>节点</translation>
    </message>
    <message>
        <source>Parameter</source>
        <translation>参数</translation>
    </message>
    <message>
        <source>Minimum</source>
        <translation>最小值</translation>
    </message>
    <message>
        <source>Maximum</source>
        <translation>最大值</translation>
    </message>
    <message>
        <source>Millwright version</source>
        <translation>Millwright 版本</translation>
    </message>
    <message>
        <source>Components</source>
        <translation>组件</translation>
    </message>
    <message>
        <source>Memory (MB)</source>
        <translation>内存（MB）</translation>
    </message>
    <message>
        <source>CPU cores</source>
        <translation>CPU 核数</translation>
    </message>
    <message>
        <source>Disk (MB)</source>
        <translation>磁盘（MB）</translation>
    </message>
    <message>
        <source>Permissions</source>
        <translation>权限</translation>
    </message>
    <message>
        <source>Network</source>
        <translation>网络</translation>
    </message>
    <message>
        <source>Write tags</source>
        <translation>写入变量</translation>
    </message>
    <message>
        <source>a version specifier, e.g. &gt;=0.1</source>
        <translation>版本约束，例如 &gt;=0.1</translation>
    </message>
    <message>
        <source>Component type</source>
        <translation>组件类型</translation>
    </message>
    <message>
        <source>Read the tags bound to the inputs</source>
        <translation>读取绑定到输入的变量</translation>
    </message>
    <message>
        <source>Output</source>
        <translation>输出</translation>
    </message>
    <message>
        <source>Largest step</source>
        <translation>最大步长</translation>
    </message>
    <message>
        <source>Shortest interval (s)</source>
        <translation>最短间隔（秒）</translation>
    </message>
    <message>
        <source>Input</source>
        <translation>输入</translation>
    </message>
    <message>
        <source>Expected</source>
        <translation>期望值</translation>
    </message>
    <message>
        <source>Absolute tolerance</source>
        <translation>绝对容差</translation>
    </message>
    <message>
        <source>Relative tolerance</source>
        <translation>相对容差</translation>
    </message>
    <message>
        <source>A recording (CSV or Parquet) with a column per input</source>
        <translation>录制数据（CSV 或 Parquet），每个输入一列</translation>
    </message>
    <message>
        <source>The expected outputs (CSV or Parquet) with a column per checked output</source>
        <translation>期望输出（CSV 或 Parquet），每个受检输出一列</translation>
    </message>
    <message>
        <source>|actual − expected| ≤ absolute + relative·|expected|</source>
        <translation>|实际值 − 期望值| ≤ 绝对容差 + 相对容差·|期望值|</translation>
    </message>
    <message>
        <source>Choose input file…</source>
        <translation>选择输入文件…</translation>
    </message>
    <message>
        <source>Choose expected file…</source>
        <translation>选择期望值文件…</translation>
    </message>
</context>
<context>
    <name>MethodCallDialog</name>
    <message>
        <source>Reading the method&apos;s arguments…</source>
        <translation>正在读取方法的参数…</translation>
    </message>
    <message>
        <source>Call method</source>
        <translation>调用方法</translation>
    </message>
    <message>
        <source>Call</source>
        <translation>调用</translation>
    </message>
    <message>
        <source>Output</source>
        <translation>输出</translation>
    </message>
    <message>
        <source>Type</source>
        <translation>类型</translation>
    </message>
    <message>
        <source>Value</source>
        <translation>值</translation>
    </message>
    <message>
        <source>This method takes no arguments.</source>
        <translation>此方法没有参数。</translation>
    </message>
    <message>
        <source>values separated by commas</source>
        <translation>以逗号分隔的值</translation>
    </message>
    <message>
        <source>Calling…</source>
        <translation>正在调用…</translation>
    </message>
    <message>
        <source>Called.</source>
        <translation>已调用。</translation>
    </message>
    <message>
        <source>Called; the method returns no outputs.</source>
        <translation>已调用；此方法没有输出。</translation>
    </message>
</context>
<context>
    <name>Minimap</name>
    <message>
        <source>Minimap</source>
        <translation>缩略图</translation>
    </message>
    <message>
        <source>Drag the frame to move around the graph (M hides the minimap)</source>
        <translation>拖动方框可在模型图中移动（按 M 隐藏缩略图）</translation>
    </message>
</context>
<context>
    <name>NetworkPage</name>
    <message>
        <source>&amp;Host:</source>
        <translation>主机(&amp;H)：</translation>
    </message>
    <message>
        <source>&amp;Port:</source>
        <translation>端口(&amp;P)：</translation>
    </message>
    <message>
        <source>&amp;Unit id:</source>
        <translation>从站地址(&amp;U)：</translation>
    </message>
    <message>
        <source>Time&amp;out:</source>
        <translation>超时(&amp;O)：</translation>
    </message>
</context>
<context>
    <name>NewAppDialog</name>
    <message>
        <source>New app from graph</source>
        <translation>从模型图新建应用</translation>
    </message>
    <message>
        <source>Graph</source>
        <translation>模型图</translation>
    </message>
    <message>
        <source>App id</source>
        <translation>应用 ID</translation>
    </message>
    <message>
        <source>The graph&apos;s inputs become the app&apos;s typed inputs (bindings.yaml gives the suggested bindings), its outputs the app&apos;s outputs. Replace com.example with a domain your organisation owns.</source>
        <translation>模型图的输入成为应用的类型化输入（bindings.yaml 提供建议绑定），模型图的输出成为应用的输出。请将 com.example 替换为您所在组织拥有的域名。</translation>
    </message>
</context>
<context>
    <name>NewProjectDialog</name>
    <message>
        <source>New project</source>
        <translation>新建项目</translation>
    </message>
    <message>
        <source>e.g. Pump station 3</source>
        <translation>例如：3 号泵站</translation>
    </message>
    <message>
        <source>Browse…</source>
        <translation>浏览…</translation>
    </message>
    <message>
        <source>Name:</source>
        <translation>名称：</translation>
    </message>
    <message>
        <source>Location:</source>
        <translation>位置：</translation>
    </message>
    <message>
        <source>The project will be created in {folder}</source>
        <translation>项目将创建在 {folder}</translation>
    </message>
    <message>
        <source>Enter a name for the project.</source>
        <translation>请输入项目名称。</translation>
    </message>
    <message>
        <source>Choose where to create the project.</source>
        <translation>请选择项目的创建位置。</translation>
    </message>
    <message>
        <source>{folder} already exists and is not empty.</source>
        <translation>{folder} 已存在且不为空。</translation>
    </message>
    <message>
        <source>Location of the new project</source>
        <translation>新项目的位置</translation>
    </message>
</context>
<context>
    <name>NodeBadge</name>
    <message>
        <source>failed</source>
        <translation>失败</translation>
    </message>
    <message>
        <source>waiting</source>
        <translation>等待中</translation>
    </message>
    <message>
        <source>{n} samples</source>
        <translation>{n} 个样本</translation>
    </message>
</context>
<context>
    <name>NodeDetailsView</name>
    <message>
        <source>Refresh</source>
        <translation>刷新</translation>
    </message>
    <message>
        <source>Read the node again (F5)</source>
        <translation>重新读取节点（F5）</translation>
    </message>
    <message>
        <source>Attribute</source>
        <translation>属性</translation>
    </message>
    <message>
        <source>Value</source>
        <translation>值</translation>
    </message>
    <message>
        <source>Reference</source>
        <translation>引用</translation>
    </message>
    <message>
        <source>Direction</source>
        <translation>方向</translation>
    </message>
    <message>
        <source>Target</source>
        <translation>目标</translation>
    </message>
    <message>
        <source>Target NodeId</source>
        <translation>目标 NodeId</translation>
    </message>
    <message>
        <source>Target node class</source>
        <translation>目标节点类</translation>
    </message>
    <message>
        <source>Select a node in the address space to see its attributes.</source>
        <translation>在地址空间中选择一个节点以查看其属性。</translation>
    </message>
    <message>
        <source>Forward</source>
        <translation>正向</translation>
    </message>
    <message>
        <source>Inverse</source>
        <translation>反向</translation>
    </message>
</context>
<context>
    <name>NodeInspector</name>
    <message>
        <source>Select a node on the canvas to see its parameters and documentation.</source>
        <translation>在画布上选择一个节点以查看其参数和文档。</translation>
    </message>
    <message>
        <source>This component has no parameters.</source>
        <translation>此组件没有参数。</translation>
    </message>
    <message>
        <source>Bound to</source>
        <translation>绑定到</translation>
    </message>
    <message>
        <source>Did you mean {names}?</source>
        <translation>您是否指的是 {names}？</translation>
    </message>
    <message>
        <source>The component type &apos;{type}&apos; is not installed; the node keeps its parameters and is saved unchanged.</source>
        <translation>组件类型“{type}”未安装；该节点保留其参数，并按原样保存。</translation>
    </message>
    <message>
        <source>from {low:g} to {high:g}</source>
        <translation>从 {low:g} 到 {high:g}</translation>
    </message>
    <message>
        <source>at least {low:g}</source>
        <translation>至少 {low:g}</translation>
    </message>
    <message>
        <source>at most {high:g}</source>
        <translation>至多 {high:g}</translation>
    </message>
    <message>
        <source>in the unit of input &apos;{port}&apos;</source>
        <translation>使用输入“{port}”的单位</translation>
    </message>
    <message>
        <source>Formula</source>
        <translation>公式</translation>
    </message>
    <message>
        <source>Inputs</source>
        <translation>输入</translation>
    </message>
    <message>
        <source>Outputs</source>
        <translation>输出</translation>
    </message>
    <message>
        <source>Port</source>
        <translation>端口</translation>
    </message>
    <message>
        <source>Title</source>
        <translation>标题</translation>
    </message>
    <message>
        <source>Kind</source>
        <translation>种类</translation>
    </message>
    <message>
        <source>Unit</source>
        <translation>单位</translation>
    </message>
    <message>
        <source>any unit</source>
        <translation>任意单位</translation>
    </message>
    <message>
        <source>unit of {port}</source>
        <translation>{port} 的单位</translation>
    </message>
    <message>
        <source>unit set by &apos;{param}&apos;</source>
        <translation>由“{param}”设定的单位</translation>
    </message>
    <message>
        <source>dimensionless</source>
        <translation>无量纲</translation>
    </message>
    <message>
        <source>signal</source>
        <translation>信号</translation>
    </message>
    <message>
        <source>boolean signal</source>
        <translation>布尔信号</translation>
    </message>
    <message>
        <source>scalar</source>
        <translation>标量</translation>
    </message>
    <message>
        <source>spectrum</source>
        <translation>频谱</translation>
    </message>
    <message>
        <source>table</source>
        <translation>表格</translation>
    </message>
    <message>
        <source>events</source>
        <translation>事件</translation>
    </message>
    <message>
        <source>References</source>
        <translation>参考资料</translation>
    </message>
    <message>
        <source>Notes</source>
        <translation>备注</translation>
    </message>
</context>
<context>
    <name>OpcUaPage</name>
    <message>
        <source>Attributes</source>
        <translation>属性</translation>
    </message>
    <message>
        <source>Events</source>
        <translation>事件</translation>
    </message>
    <message>
        <source>&amp;Endpoint URL:</source>
        <translation>端点 URL(&amp;E)：</translation>
    </message>
    <message>
        <source>Security &amp;policy:</source>
        <translation>安全策略(&amp;P)：</translation>
    </message>
    <message>
        <source>Security &amp;mode:</source>
        <translation>安全模式(&amp;M)：</translation>
    </message>
    <message>
        <source>&amp;Identity:</source>
        <translation>身份(&amp;I)：</translation>
    </message>
    <message>
        <source>&amp;User name:</source>
        <translation>用户名(&amp;U)：</translation>
    </message>
    <message>
        <source>Pass&amp;word:</source>
        <translation>密码(&amp;W)：</translation>
    </message>
    <message>
        <source>Time&amp;out:</source>
        <translation>超时(&amp;O)：</translation>
    </message>
    <message>
        <source>Dis&amp;cover</source>
        <translation>发现(&amp;C)</translation>
    </message>
    <message>
        <source>Ask the server which endpoints it offers</source>
        <translation>向服务器查询其提供的端点</translation>
    </message>
    <message>
        <source>Use the &amp;address I typed</source>
        <translation>使用我输入的地址(&amp;A)</translation>
    </message>
    <message>
        <source>Anonymous</source>
        <translation>匿名</translation>
    </message>
    <message>
        <source>User name and password</source>
        <translation>用户名和密码</translation>
    </message>
    <message>
        <source>stored in the system keyring, not in the project</source>
        <translation>保存在系统密钥环中，而不是项目中</translation>
    </message>
    <message>
        <source>Security policy</source>
        <translation>安全策略</translation>
    </message>
    <message>
        <source>Mode</source>
        <translation>模式</translation>
    </message>
    <message>
        <source>User tokens</source>
        <translation>用户令牌</translation>
    </message>
    <message>
        <source>Security level</source>
        <translation>安全级别</translation>
    </message>
    <message>
        <source>No secure keyring on this machine (%1): the password is not stored.</source>
        <translation>本机没有安全的密钥环（%1）：密码不会被保存。</translation>
    </message>
    <message>
        <source>With security None the password travels in clear text over the network.</source>
        <translation>安全设置为 None 时，密码会以明文在网络上传输。</translation>
    </message>
    <message>
        <source>Type the server&apos;s address first, e.g. opc.tcp://192.168.0.10:4840</source>
        <translation>请先输入服务器地址，例如 opc.tcp://192.168.0.10:4840</translation>
    </message>
    <message>
        <source>Asking %1 for its endpoints…</source>
        <translation>正在向 %1 查询端点…</translation>
    </message>
    <message numerus="yes">
        <source>%n endpoint(s) found</source>
        <translation>
            <numerusform>找到 %n 个端点</numerusform>
        </translation>
    </message>
    <message>
        <source>The server names itself %1, which this computer cannot resolve.</source>
        <translation>服务器自称 %1，但本机无法解析该名称。</translation>
    </message>
</context>
<context>
    <name>PaletteView</name>
    <message>
        <source>Search components (English or 中文)</source>
        <translation>搜索组件（英文或中文）</translation>
    </message>
    <message>
        <source>Type part of a name; ↓ moves into the list, Enter adds the selected component</source>
        <translation>输入名称的一部分；按 ↓ 进入列表，按 Enter 添加所选组件</translation>
    </message>
</context>
<context>
    <name>ParamField</name>
    <message>
        <source>must be a whole number</source>
        <translation>必须是整数</translation>
    </message>
    <message>
        <source>must be a number</source>
        <translation>必须是数字</translation>
    </message>
    <message>
        <source>must be numbers separated by commas</source>
        <translation>必须是以逗号分隔的数字</translation>
    </message>
</context>
<context>
    <name>PreferencesDialog</name>
    <message>
        <source>Preferences</source>
        <translation>首选项</translation>
    </message>
    <message>
        <source>System default</source>
        <translation>跟随系统</translation>
    </message>
    <message>
        <source>Follow the system</source>
        <translation>跟随系统</translation>
    </message>
    <message>
        <source>Light</source>
        <translation>浅色</translation>
    </message>
    <message>
        <source>Dark</source>
        <translation>深色</translation>
    </message>
    <message>
        <source> s</source>
        <translation> 秒</translation>
    </message>
    <message>
        <source>How often a recovery copy of unsaved changes is written</source>
        <translation>多久写一次未保存更改的恢复副本</translation>
    </message>
    <message>
        <source>Language:</source>
        <translation>语言：</translation>
    </message>
    <message>
        <source>Theme:</source>
        <translation>主题：</translation>
    </message>
    <message>
        <source>Autosave every:</source>
        <translation>自动保存间隔：</translation>
    </message>
</context>
<context>
    <name>ProbeBubble</name>
    <message>
        <source>Pinned to Trends</source>
        <translation>已固定到“趋势”</translation>
    </message>
    <message>
        <source>Pin to Trends</source>
        <translation>固定到“趋势”</translation>
    </message>
    <message>
        <source>Close the probe</source>
        <translation>关闭探针</translation>
    </message>
    <message>
        <source>no value yet</source>
        <translation>尚无值</translation>
    </message>
    <message>
        <source>{value:.6g} ({quality})</source>
        <translation>{value:.6g}（{quality}）</translation>
    </message>
</context>
<context>
    <name>ProjectExplorer</name>
    <message>
        <source>No project is open. Use File ▸ New Project or File ▸ Open Project.</source>
        <translation>没有打开的项目。请使用“文件 ▸ 新建项目”或“文件 ▸ 打开项目”。</translation>
    </message>
    <message>
        <source>Show in file manager</source>
        <translation>在文件管理器中显示</translation>
    </message>
    <message>
        <source>Copy path</source>
        <translation>复制路径</translation>
    </message>
</context>
<context>
    <name>ProjectInspector</name>
    <message>
        <source>schema {schema}, written by Millwright {version}</source>
        <translation>格式版本 {schema}，由 Millwright {version} 写入</translation>
    </message>
    <message>
        <source>The description has {count:,} characters, too many to edit here; only its start is shown and it is kept unchanged. Shorten it in project.json, or undo the edit that made it this long.</source>
        <translation>说明共有 {count:,} 个字符，太长，无法在此编辑；这里只显示开头部分，内容保持不变。请在 project.json 中缩短它，或撤销使它变得这么长的编辑。</translation>
    </message>
    <message>
        <source>Name:</source>
        <translation>名称：</translation>
    </message>
    <message>
        <source>Description:</source>
        <translation>说明：</translation>
    </message>
    <message>
        <source>Folder:</source>
        <translation>文件夹：</translation>
    </message>
    <message>
        <source>File:</source>
        <translation>文件：</translation>
    </message>
    <message>
        <source>Project name</source>
        <translation>项目名称</translation>
    </message>
    <message>
        <source>What this project is for: plant, line, machine…</source>
        <translation>项目用途：工厂、产线、设备…</translation>
    </message>
    <message>
        <source>Rename project</source>
        <translation>重命名项目</translation>
    </message>
    <message>
        <source>Edit project description</source>
        <translation>编辑项目说明</translation>
    </message>
</context>
<context>
    <name>PublishView</name>
    <message>
        <source>Publishing {archive} to {target}…</source>
        <translation>正在将 {archive} 发布到 {target}…</translation>
    </message>
    <message>
        <source>Cancelled. A request already sent may still complete; publish again to be sure (the same archive again changes nothing).</source>
        <translation>已取消。已发出的请求仍可能完成；如需确认，请再次发布（再次发布同一应用包不会改变任何内容）。</translation>
    </message>
    <message>
        <source>signed by {key}…</source>
        <translation>由 {key}… 签名</translation>
    </message>
    <message>
        <source>unsigned</source>
        <translation>未签名</translation>
    </message>
    <message>
        <source>Published {id} {version} ({signer}) to {target}
{where}</source>
        <translation>已将 {id} {version}（{signer}）发布到 {target}
{where}</translation>
    </message>
    <message>
        <source>App archive</source>
        <translation>应用包</translation>
    </message>
    <message>
        <source>Industrial apps (*.iapp)</source>
        <translation>工业 APP (*.iapp)</translation>
    </message>
    <message>
        <source>Archive</source>
        <translation>应用包</translation>
    </message>
    <message>
        <source>Publish to</source>
        <translation>发布到</translation>
    </message>
    <message>
        <source>Build the app, or choose an .iapp file</source>
        <translation>构建应用，或选择一个 .iapp 文件</translation>
    </message>
    <message>
        <source>Choose…</source>
        <translation>选择…</translation>
    </message>
    <message>
        <source>Allow an unsigned archive</source>
        <translation>允许未签名的应用包</translation>
    </message>
    <message>
        <source>Publish</source>
        <translation>发布</translation>
    </message>
    <message>
        <source>Verify the archive, then publish it</source>
        <translation>先验证应用包，再发布</translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation>取消</translation>
    </message>
</context>
<context>
    <name>QtPrompts</name>
    <message>
        <source>Unsaved changes</source>
        <translation>未保存的更改</translation>
    </message>
    <message>
        <source>The project “{name}” has unsaved changes.</source>
        <translation>项目“{name}”有未保存的更改。</translation>
    </message>
    <message>
        <source>Do you want to save them before closing the project?</source>
        <translation>关闭项目前是否保存这些更改？</translation>
    </message>
    <message>
        <source>Recover unsaved work</source>
        <translation>恢复未保存的工作</translation>
    </message>
    <message>
        <source>Millwright was not closed normally while the project “{name}” had unsaved changes.</source>
        <translation>Millwright 上次未正常关闭，当时项目“{name}”有未保存的更改。</translation>
    </message>
    <message>
        <source>A recovery copy was saved at {time} for {folder}.
Recover it? (No deletes the recovery copy.)</source>
        <translation>已于 {time} 为 {folder} 保存了恢复副本。
是否恢复？（选“否”将删除恢复副本。）</translation>
    </message>
    <message>
        <source>Open project folder</source>
        <translation>打开项目文件夹</translation>
    </message>
</context>
<context>
    <name>QuickAdd</name>
    <message>
        <source>Add a component…</source>
        <translation>添加组件…</translation>
    </message>
</context>
<context>
    <name>RangeModel</name>
    <message>
        <source>Address</source>
        <translation>地址</translation>
    </message>
    <message>
        <source>Protocol</source>
        <translation>协议地址</translation>
    </message>
    <message>
        <source>Decimal</source>
        <translation>十进制</translation>
    </message>
    <message>
        <source>Hex</source>
        <translation>十六进制</translation>
    </message>
    <message>
        <source>Binary</source>
        <translation>二进制</translation>
    </message>
</context>
<context>
    <name>RangeReader</name>
    <message>
        <source>No device: connect a Modbus device first.</source>
        <translation>没有设备：请先连接 Modbus 设备。</translation>
    </message>
    <message>
        <source>Only a Modbus device has registers to read.</source>
        <translation>只有 Modbus 设备才有可读取的寄存器。</translation>
    </message>
    <message>
        <source>%1: %2 values read</source>
        <translation>%1：已读取 %2 个值</translation>
    </message>
    <message>
        <source>Holding registers (4x, FC 3)</source>
        <translation>保持寄存器（4x，FC 3）</translation>
    </message>
    <message>
        <source>Input registers (3x, FC 4)</source>
        <translation>输入寄存器（3x，FC 4）</translation>
    </message>
    <message>
        <source>Coils (0x, FC 1)</source>
        <translation>线圈（0x，FC 1）</translation>
    </message>
    <message>
        <source>Discrete inputs (1x, FC 2)</source>
        <translation>离散输入（1x，FC 2）</translation>
    </message>
    <message>
        <source>&amp;Area:</source>
        <translation>区域(&amp;A)：</translation>
    </message>
    <message>
        <source>&amp;Start:</source>
        <translation>起始地址(&amp;S)：</translation>
    </message>
    <message>
        <source>&amp;Count:</source>
        <translation>数量(&amp;C)：</translation>
    </message>
    <message>
        <source>&amp;Unit id:</source>
        <translation>从站地址(&amp;U)：</translation>
    </message>
    <message>
        <source>40001 or 400001 (manual form), hr0 or hr:0 (0-based, with %1), or a 0-based number below 10000 in the chosen area</source>
        <translation>40001 或 400001（手册格式）、hr0 或 hr:0（从 0 起，可用 %1），或所选区域中小于 10000 的从 0 起的编号</translation>
    </message>
    <message>
        <source>&amp;Read</source>
        <translation>读取(&amp;R)</translation>
    </message>
    <message>
        <source>Repeat every</source>
        <translation>重复读取，间隔</translation>
    </message>
</context>
<context>
    <name>RecordPanel</name>
    <message>
        <source>Recording &amp;name</source>
        <translation>录制名称(&amp;N)</translation>
    </message>
    <message>
        <source>Watched &amp;tags</source>
        <translation>监视的变量(&amp;T)</translation>
    </message>
    <message>
        <source>List the Watch list&apos;s tags again (all ticked)</source>
        <translation>重新列出监视列表中的变量（全部勾选）</translation>
    </message>
    <message>
        <source>&amp;Record</source>
        <translation>录制(&amp;R)</translation>
    </message>
    <message>
        <source>Record the ticked tags from the live bus into the project&apos;s store</source>
        <translation>把勾选的变量从实时数据总线录制到项目的数据存储中</translation>
    </message>
    <message>
        <source>St&amp;op</source>
        <translation>停止(&amp;O)</translation>
    </message>
    <message>
        <source>Recording {time}</source>
        <translation>录制 {time}</translation>
    </message>
    <message>
        <source>A recording is running.</source>
        <translation>正在录制。</translation>
    </message>
    <message>
        <source>Open a project first: recordings go to its store.</source>
        <translation>请先打开一个项目：录制数据保存在它的数据存储中。</translation>
    </message>
    <message>
        <source>Tick at least one tag to record.</source>
        <translation>请至少勾选一个要录制的变量。</translation>
    </message>
    <message>
        <source>Name the recording.</source>
        <translation>请为录制数据命名。</translation>
    </message>
    <message>
        <source>Not recording</source>
        <translation>未在录制</translation>
    </message>
    <message>
        <source>Recording</source>
        <translation>正在录制</translation>
    </message>
    <message>
        <source>Stopped</source>
        <translation>已停止</translation>
    </message>
    <message>
        <source>Failed</source>
        <translation>失败</translation>
    </message>
    <message>
        <source>{state}: {samples} samples ({committed} committed), {duration:.1f} s, {size}, {gaps} gap(s)</source>
        <translation>{state}：{samples} 个样本（已提交 {committed} 个），{duration:.1f} 秒，{size}，{gaps} 处中断</translation>
    </message>
</context>
<context>
    <name>RecordTable</name>
    <message>
        <source>Add</source>
        <translation>添加</translation>
    </message>
    <message>
        <source>Remove</source>
        <translation>移除</translation>
    </message>
</context>
<context>
    <name>RegisterTable</name>
    <message>
        <source>Cannot write %1: %2</source>
        <translation>无法写入 %1：%2</translation>
    </message>
    <message>
        <source>Import register map</source>
        <translation>导入寄存器映射表</translation>
    </message>
    <message>
        <source>CSV files (*.csv)</source>
        <translation>CSV 文件 (*.csv)</translation>
    </message>
    <message>
        <source>Export register map</source>
        <translation>导出寄存器映射表</translation>
    </message>
    <message>
        <source>Add to watch</source>
        <translation>添加到监视</translation>
    </message>
    <message>
        <source>Add register</source>
        <translation>添加寄存器</translation>
    </message>
    <message>
        <source>Remove</source>
        <translation>移除</translation>
    </message>
    <message>
        <source>Import CSV…</source>
        <translation>导入 CSV…</translation>
    </message>
    <message>
        <source>Export CSV…</source>
        <translation>导出 CSV…</translation>
    </message>
    <message>
        <source>&amp;Add register</source>
        <translation>添加寄存器(&amp;A)</translation>
    </message>
    <message>
        <source>Re&amp;move</source>
        <translation>移除(&amp;M)</translation>
    </message>
    <message>
        <source>Add to &amp;watch</source>
        <translation>添加到监视(&amp;W)</translation>
    </message>
    <message>
        <source>&amp;Import…</source>
        <translation>导入(&amp;I)…</translation>
    </message>
    <message>
        <source>&amp;Export…</source>
        <translation>导出(&amp;E)…</translation>
    </message>
    <message>
        <source>Add the selected registers to the watch list (Ctrl+Shift+W)</source>
        <translation>将所选寄存器添加到监视列表（Ctrl+Shift+W）</translation>
    </message>
    <message>
        <source>Double-click or Enter to edit; drag rows to the watch list or the canvas</source>
        <translation>双击或按 Enter 编辑；可将行拖到监视列表或画布</translation>
    </message>
</context>
<context>
    <name>RegisterTableModel</name>
    <message>
        <source>Row %1 (%2) not changed: %3</source>
        <translation>第 %1 行（%2）未更改：%3</translation>
    </message>
    <message>
        <source>good</source>
        <translation>良好</translation>
    </message>
    <message>
        <source>uncertain</source>
        <translation>不确定</translation>
    </message>
    <message>
        <source>bad</source>
        <translation>坏</translation>
    </message>
    <message>
        <source>Name</source>
        <translation>名称</translation>
    </message>
    <message>
        <source>Area</source>
        <translation>区域</translation>
    </message>
    <message>
        <source>Address</source>
        <translation>地址</translation>
    </message>
    <message>
        <source>Manual</source>
        <translation>手册地址</translation>
    </message>
    <message>
        <source>Type</source>
        <translation>类型</translation>
    </message>
    <message>
        <source>Order</source>
        <translation>字节序</translation>
    </message>
    <message>
        <source>Scale</source>
        <translation>比例</translation>
    </message>
    <message>
        <source>Unit</source>
        <translation>单位</translation>
    </message>
    <message>
        <source>Writable</source>
        <translation>可写</translation>
    </message>
    <message>
        <source>Min</source>
        <translation>最小值</translation>
    </message>
    <message>
        <source>Max</source>
        <translation>最大值</translation>
    </message>
    <message>
        <source>Value</source>
        <translation>值</translation>
    </message>
    <message>
        <source>Quality</source>
        <translation>质量</translation>
    </message>
</context>
<context>
    <name>RegisterWorkbench</name>
    <message>
        <source>Register map</source>
        <translation>寄存器映射表</translation>
    </message>
    <message>
        <source>Range reader</source>
        <translation>区间读取</translation>
    </message>
    <message>
        <source>Traffic</source>
        <translation>通信报文</translation>
    </message>
</context>
<context>
    <name>RunBar</name>
    <message>
        <source>Run on a recording</source>
        <translation>用录制数据运行</translation>
    </message>
    <message>
        <source>Recordings (*.csv *.parquet *.pq)</source>
        <translation>录制数据 (*.csv *.parquet *.pq)</translation>
    </message>
    <message>
        <source>Choose a recording to run on</source>
        <translation>选择用于运行的录制数据</translation>
    </message>
    <message>
        <source>Live data needs the project&apos;s devices</source>
        <translation>实时数据需要项目中的设备</translation>
    </message>
    <message>
        <source>The project&apos;s bindings cannot be read: {reason}</source>
        <translation>无法读取项目的绑定：{reason}</translation>
    </message>
    <message>
        <source>Bind the graph&apos;s inputs to tags first: {names}</source>
        <translation>请先将模型图的输入绑定到变量：{names}</translation>
    </message>
    <message>
        <source>The graph cannot run on live data: {reason}</source>
        <translation>模型图无法在实时数据上运行：{reason}</translation>
    </message>
    <message>
        <source>Starting</source>
        <translation>正在启动</translation>
    </message>
    <message>
        <source>Running</source>
        <translation>运行中</translation>
    </message>
    <message>
        <source>Paused</source>
        <translation>已暂停</translation>
    </message>
    <message>
        <source>Finished</source>
        <translation>已完成</translation>
    </message>
    <message>
        <source>Stopped</source>
        <translation>已停止</translation>
    </message>
    <message>
        <source>Failed</source>
        <translation>失败</translation>
    </message>
    <message numerus="yes">
        <source>%n tick(s)</source>
        <translation>
            <numerusform>%n 个节拍</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n node(s) failed</source>
        <translation>
            <numerusform>%n 个节点失败</numerusform>
        </translation>
    </message>
    <message>
        <source>Recording</source>
        <translation>录制数据</translation>
    </message>
    <message>
        <source>Recording: {name}</source>
        <translation>录制数据：{name}</translation>
    </message>
    <message>
        <source>Live data</source>
        <translation>实时数据</translation>
    </message>
    <message>
        <source>As fast as possible</source>
        <translation>尽可能快</translation>
    </message>
    <message>
        <source>{speed:g}× real time</source>
        <translation>{speed:g}× 实时速度</translation>
    </message>
    <message>
        <source> Hz</source>
        <translation> Hz</translation>
    </message>
    <message>
        <source>Live data are resampled onto this rate</source>
        <translation>实时数据按此频率重新采样</translation>
    </message>
    <message>
        <source>Choose recording…</source>
        <translation>选择录制数据…</translation>
    </message>
    <message>
        <source>Run</source>
        <translation>运行</translation>
    </message>
    <message>
        <source>Run the graph, or resume it (F5)</source>
        <translation>运行模型图或继续运行（F5）</translation>
    </message>
    <message>
        <source>Pause</source>
        <translation>暂停</translation>
    </message>
    <message>
        <source>Step</source>
        <translation>单步</translation>
    </message>
    <message>
        <source>Run one tick (F10)</source>
        <translation>运行一个节拍（F10）</translation>
    </message>
    <message>
        <source>Stop</source>
        <translation>停止</translation>
    </message>
    <message>
        <source>Probe the selected wires (Alt+P)</source>
        <translation>为所选连线添加探针（Alt+P）</translation>
    </message>
</context>
<context>
    <name>SamplingDialog</name>
    <message>
        <source>Sampling</source>
        <translation>采样</translation>
    </message>
    <message>
        <source>device default</source>
        <translation>设备默认值</translation>
    </message>
    <message>
        <source>every change</source>
        <translation>每次变化</translation>
    </message>
    <message>
        <source>For {count} selected item(s):</source>
        <translation>对所选的 {count} 项：</translation>
    </message>
    <message>
        <source>Sampling &amp;interval:</source>
        <translation>采样间隔(&amp;I)：</translation>
    </message>
    <message>
        <source>&amp;Deadband (absolute):</source>
        <translation>死区（绝对值）(&amp;D)：</translation>
    </message>
</context>
<context>
    <name>SaveComponentDialog</name>
    <message>
        <source>Save as Component</source>
        <translation>另存为组件</translation>
    </message>
    <message>
        <source>&amp;Name:</source>
        <translation>名称(&amp;N)：</translation>
    </message>
    <message>
        <source>&amp;Title:</source>
        <translation>标题(&amp;T)：</translation>
    </message>
    <message>
        <source>Title in &amp;Chinese:</source>
        <translation>中文标题(&amp;C)：</translation>
    </message>
    <message>
        <source>&amp;Description:</source>
        <translation>说明(&amp;D)：</translation>
    </message>
    <message>
        <source>Component type: {type}</source>
        <translation>组件类型：{type}</translation>
    </message>
    <message>
        <source>The name becomes the file components/&lt;name&gt;.json</source>
        <translation>名称即文件名：components/&lt;name&gt;.json</translation>
    </message>
</context>
<context>
    <name>SaveProfileDialog</name>
    <message>
        <source>Reading the variables…</source>
        <translation>正在读取变量…</translation>
    </message>
    <message>
        <source>None of the chosen tags can be a profile point.</source>
        <translation>所选变量都不能作为配置文件中的点位。</translation>
    </message>
    <message>
        <source>&apos;%1&apos; is not a point name: use letters, digits and _, not starting with a digit.</source>
        <translation>“%1”不是有效的点位名称：请使用字母、数字和 _，且不能以数字开头。</translation>
    </message>
    <message>
        <source>The name &apos;%1&apos; is used twice.</source>
        <translation>名称“%1”被使用了两次。</translation>
    </message>
    <message>
        <source>Save as profile</source>
        <translation>另存为配置文件</translation>
    </message>
    <message>
        <source>&amp;New profile</source>
        <translation>新建配置文件(&amp;N)</translation>
    </message>
    <message>
        <source>&amp;Add to the existing profile of %1</source>
        <translation>添加到 %1 的现有配置文件(&amp;A)</translation>
    </message>
    <message>
        <source>&amp;Id</source>
        <translation>ID(&amp;I)</translation>
    </message>
    <message>
        <source>&amp;Title</source>
        <translation>标题(&amp;T)</translation>
    </message>
    <message>
        <source>Name</source>
        <translation>名称</translation>
    </message>
    <message>
        <source>Address</source>
        <translation>地址</translation>
    </message>
    <message>
        <source>Type</source>
        <translation>类型</translation>
    </message>
    <message>
        <source>Unit</source>
        <translation>单位</translation>
    </message>
    <message>
        <source>Access</source>
        <translation>访问权限</translation>
    </message>
    <message>
        <source>%1 points will be saved.</source>
        <translation>将保存 %1 个点位。</translation>
    </message>
    <message>
        <source>Left out: %1</source>
        <translation>已略过：%1</translation>
    </message>
</context>
<context>
    <name>ScriptEditorView</name>
    <message>
        <source>{file} cannot be read: {reason}</source>
        <translation>无法读取 {file}：{reason}</translation>
    </message>
    <message>
        <source>{file} cannot be saved: {reason}</source>
        <translation>无法保存 {file}：{reason}</translation>
    </message>
    <message>
        <source>New script component</source>
        <translation>新建脚本组件</translation>
    </message>
    <message>
        <source>Name (a-z, 0-9 and _; it names components/NAME.py):</source>
        <translation>名称（a-z、0-9 和 _，用作文件名 components/NAME.py）：</translation>
    </message>
    <message>
        <source>Line {line}: {reason}</source>
        <translation>第 {line} 行：{reason}</translation>
    </message>
    <message>
        <source>Not saved yet: save to reload the component</source>
        <translation>尚未保存：保存后将重新加载组件</translation>
    </message>
    <message>
        <source>No script components yet: New… writes one to start from</source>
        <translation>还没有脚本组件：点击“新建…”生成一个作为起点</translation>
    </message>
    <message>
        <source>Open a project first</source>
        <translation>请先打开项目</translation>
    </message>
    <message>
        <source>Not loaded: the project folder is not trusted</source>
        <translation>未加载：项目文件夹不受信任</translation>
    </message>
    <message>
        <source>Checking {file} before it is loaded…</source>
        <translation>加载前正在检查 {file}…</translation>
    </message>
    <message>
        <source>Line {line}: </source>
        <translation>第 {line} 行：</translation>
    </message>
    <message>
        <source>The traceback is in the Log panel.</source>
        <translation>堆栈跟踪见“日志”面板。</translation>
    </message>
    <message>
        <source>Loaded: {types}</source>
        <translation>已加载：{types}</translation>
    </message>
    <message>
        <source>Try on a recording</source>
        <translation>用录制数据试运行</translation>
    </message>
    <message>
        <source>Recordings (*.csv *.parquet *.pq)</source>
        <translation>录制数据 (*.csv *.parquet *.pq)</translation>
    </message>
    <message>
        <source>The component is not loaded: fix the script first</source>
        <translation>组件未加载：请先修正脚本</translation>
    </message>
    <message>
        <source>Running {type} on {file} in a worker process…</source>
        <translation>正在工作进程中用 {file} 运行 {type}…</translation>
    </message>
    <message>
        <source>The try did not finish: {reason}</source>
        <translation>试运行未完成：{reason}</translation>
    </message>
    <message>
        <source>time since the start of the recording</source>
        <translation>自录制开始的时间</translation>
    </message>
    <message>
        <source>{rows} samples of {outputs}</source>
        <translation>{outputs} 的 {rows} 个样本</translation>
    </message>
    <message>
        <source>New…</source>
        <translation>新建…</translation>
    </message>
    <message>
        <source>Write a script component to start from, with its golden-data test</source>
        <translation>生成一个脚本组件作为起点，并附带其金标准数据测试</translation>
    </message>
    <message>
        <source>Save</source>
        <translation>保存</translation>
    </message>
    <message>
        <source>Save and reload the component: the palette and the canvases follow</source>
        <translation>保存并重新加载组件：组件库和画布随之更新</translation>
    </message>
    <message>
        <source>Try on data</source>
        <translation>用数据试运行</translation>
    </message>
    <message>
        <source>Run a component of this file on a recording and plot its outputs</source>
        <translation>用录制数据运行此文件中的一个组件，并绘制其输出</translation>
    </message>
    <message>
        <source>This project folder is not trusted: its Python components are not loaded and nothing of them runs.</source>
        <translation>此项目文件夹不受信任：其中的 Python 组件未加载，其代码一概不会运行。</translation>
    </message>
    <message>
        <source>Trust this folder…</source>
        <translation>信任此文件夹…</translation>
    </message>
    <message>
        <source>Recording…</source>
        <translation>录制数据…</translation>
    </message>
    <message>
        <source>(none chosen)</source>
        <translation>（未选择）</translation>
    </message>
    <message>
        <source>Run</source>
        <translation>运行</translation>
    </message>
    <message>
        <source>Stop</source>
        <translation>停止</translation>
    </message>
</context>
<context>
    <name>ScriptSupport</name>
    <message>
        <source>being checked before it is loaded</source>
        <translation>加载前正在检查</translation>
    </message>
    <message>
        <source>Trust this folder?</source>
        <translation>是否信任此文件夹？</translation>
    </message>
    <message>
        <source>The project in {folder} has Python components ({files}).</source>
        <translation>{folder} 中的项目含有 Python 组件（{files}）。</translation>
    </message>
    <message>
        <source>Their code runs on this computer with your rights as soon as they are loaded. Trust the folder only if you know where the project comes from. If you do not trust it, the project opens with those components not loaded, and nothing of them runs.</source>
        <translation>这些组件一经加载，其代码就会以您的权限在本机运行。请仅在清楚项目来源时信任此文件夹。如果不信任，项目照常打开，但这些组件不会加载，其代码一概不会运行。</translation>
    </message>
    <message>
        <source>Trust and load</source>
        <translation>信任并加载</translation>
    </message>
    <message>
        <source>Do not trust</source>
        <translation>不信任</translation>
    </message>
</context>
<context>
    <name>SerialPage</name>
    <message>
        <source>Serial &amp;port:</source>
        <translation>串口(&amp;P)：</translation>
    </message>
    <message>
        <source>&amp;Baud rate:</source>
        <translation>波特率(&amp;B)：</translation>
    </message>
    <message>
        <source>P&amp;arity:</source>
        <translation>校验位(&amp;A)：</translation>
    </message>
    <message>
        <source>&amp;Stop bits:</source>
        <translation>停止位(&amp;S)：</translation>
    </message>
    <message>
        <source>&amp;Unit id:</source>
        <translation>从站地址(&amp;U)：</translation>
    </message>
    <message>
        <source>Time&amp;out:</source>
        <translation>超时(&amp;O)：</translation>
    </message>
    <message>
        <source>&amp;Refresh</source>
        <translation>刷新(&amp;R)</translation>
    </message>
    <message>
        <source>List the serial ports again (after plugging in an adapter)</source>
        <translation>重新列出串口（插入适配器后使用）</translation>
    </message>
    <message>
        <source>None</source>
        <translation>无校验</translation>
    </message>
    <message>
        <source>Even</source>
        <translation>偶校验</translation>
    </message>
    <message>
        <source>Odd</source>
        <translation>奇校验</translation>
    </message>
</context>
<context>
    <name>SinkTableModel</name>
    <message>
        <source>good</source>
        <translation>良好</translation>
    </message>
    <message>
        <source>uncertain</source>
        <translation>不确定</translation>
    </message>
    <message>
        <source>bad</source>
        <translation>坏</translation>
    </message>
    <message>
        <source>time</source>
        <translation>时间</translation>
    </message>
    <message>
        <source>value</source>
        <translation>值</translation>
    </message>
    <message>
        <source>quality</source>
        <translation>质量</translation>
    </message>
</context>
<context>
    <name>SinkView</name>
    <message>
        <source>&amp;Plot:</source>
        <translation>绘图(&amp;P)：</translation>
    </message>
    <message>
        <source>The graph output to plot</source>
        <translation>要绘制的模型图输出</translation>
    </message>
</context>
<context>
    <name>StartPage</name>
    <message>
        <source>Connect devices, wire mechanism models, test them on live or recorded data, and package them as industrial apps.</source>
        <translation>连接设备，连接机理模型，用实时或录制的数据测试模型，并将其打包为工业 APP。</translation>
    </message>
    <message>
        <source>New project…</source>
        <translation>新建项目…</translation>
    </message>
    <message>
        <source>Open project…</source>
        <translation>打开项目…</translation>
    </message>
    <message>
        <source>Open the example project</source>
        <translation>打开示例项目</translation>
    </message>
    <message>
        <source>&lt;b&gt;Recent projects&lt;/b&gt; (double-click to open)</source>
        <translation>&lt;b&gt;最近的项目&lt;/b&gt;（双击打开）</translation>
    </message>
    <message>
        <source>First steps with the pump-station example</source>
        <translation>泵站示例入门</translation>
    </message>
    <message>
        <source>Start the pump-station simulator in a terminal:</source>
        <translation>在终端中启动泵站模拟器：</translation>
    </message>
    <message>
        <source>&lt;a href=&quot;{link}&quot;&gt;Open the example project&lt;/a&gt;: its devices, graphs and a recording.</source>
        <translation>&lt;a href=&quot;{link}&quot;&gt;打开示例项目&lt;/a&gt;：其中有设备、模型图和一段录制数据。</translation>
    </message>
    <message>
        <source>Open a graph from the Project panel: {efficiency} (pump efficiency and energy) or {vibration} (vibration alarm).</source>
        <translation>在“项目”面板中打开一个模型图：{efficiency}（泵效率与能耗）或 {vibration}（振动报警）。</translation>
    </message>
    <message>
        <source>Run it on the recording, in the example&apos;s folder:</source>
        <translation>在示例项目文件夹中用录制数据运行它：</translation>
    </message>
    <message>
        <source>Copy</source>
        <translation>复制</translation>
    </message>
    <message>
        <source>Copy the command to the clipboard</source>
        <translation>将命令复制到剪贴板</translation>
    </message>
</context>
<context>
    <name>TargetField</name>
    <message>
        <source>Local catalogue ({url})</source>
        <translation>本地应用目录（{url}）</translation>
    </message>
    <message>
        <source>catalog:PATH or oci://HOST[:PORT]/REPO</source>
        <translation>catalog:路径 或 oci://主机[:端口]/仓库</translation>
    </message>
    <message>
        <source>Plain HTTP to this registry (not encrypted; loopback always is)</source>
        <translation>对此仓库使用明文 HTTP（不加密；本地回环地址总是如此）</translation>
    </message>
</context>
<context>
    <name>TextEditor</name>
    <message>
        <source>Text (Ctrl+Enter to finish, Esc to cancel)</source>
        <translation>文本（Ctrl+Enter 完成，Esc 取消）</translation>
    </message>
</context>
<context>
    <name>TrafficModel</name>
    <message>
        <source>OK</source>
        <translation>正常</translation>
    </message>
    <message>
        <source>No answer (timeout)</source>
        <translation>无应答（超时）</translation>
    </message>
    <message>
        <source>Time</source>
        <translation>时间</translation>
    </message>
    <message>
        <source>Function</source>
        <translation>功能码</translation>
    </message>
    <message>
        <source>Unit</source>
        <translation>从站地址</translation>
    </message>
    <message>
        <source>Address</source>
        <translation>地址</translation>
    </message>
    <message>
        <source>Count</source>
        <translation>数量</translation>
    </message>
    <message>
        <source>ms</source>
        <translation>ms</translation>
    </message>
    <message>
        <source>Result</source>
        <translation>结果</translation>
    </message>
    <message>
        <source>Request</source>
        <translation>请求</translation>
    </message>
    <message>
        <source>Response</source>
        <translation>响应</translation>
    </message>
</context>
<context>
    <name>TrafficView</name>
    <message>
        <source>No Modbus device attached.</source>
        <translation>未关联 Modbus 设备。</translation>
    </message>
    <message>
        <source>%1 requests, %2 exceptions, %3 timeouts; mean %4 ms, max %5 ms</source>
        <translation>%1 个请求，%2 个异常，%3 次超时；平均 %4 ms，最大 %5 ms</translation>
    </message>
    <message>
        <source>&amp;Resume</source>
        <translation>继续(&amp;R)</translation>
    </message>
    <message>
        <source>&amp;Pause</source>
        <translation>暂停(&amp;P)</translation>
    </message>
    <message>
        <source>Paused, the log keeps recording but the table stands still</source>
        <translation>已暂停：日志仍在记录，但表格不再刷新</translation>
    </message>
    <message>
        <source>C&amp;lear</source>
        <translation>清空(&amp;L)</translation>
    </message>
    <message>
        <source>&amp;Copy rows</source>
        <translation>复制行(&amp;C)</translation>
    </message>
    <message>
        <source>Copy the selected rows as text (Ctrl+C)</source>
        <translation>将所选行复制为文本（Ctrl+C）</translation>
    </message>
</context>
<context>
    <name>TrendView</name>
    <message>
        <source>Follow</source>
        <translation>跟随</translation>
    </message>
    <message>
        <source>Follow the newest samples (F); zooming or panning pauses</source>
        <translation>跟随最新样本（F）；缩放或平移时暂停跟随</translation>
    </message>
    <message>
        <source>Export CSV…</source>
        <translation>导出 CSV…</translation>
    </message>
    <message>
        <source>Save the visible samples as a CSV file (Ctrl+E)</source>
        <translation>将可见的样本保存为 CSV 文件（Ctrl+E）</translation>
    </message>
    <message>
        <source>Export PNG…</source>
        <translation>导出 PNG…</translation>
    </message>
    <message>
        <source>Save the plot as a PNG image (Ctrl+Shift+E)</source>
        <translation>将曲线图保存为 PNG 图像（Ctrl+Shift+E）</translation>
    </message>
    <message>
        <source>Clear</source>
        <translation>清空</translation>
    </message>
    <message>
        <source>Remove every series from the trend</source>
        <translation>从趋势中移除所有曲线</translation>
    </message>
    <message>
        <source>Time range shown</source>
        <translation>显示的时间范围</translation>
    </message>
    <message>
        <source>Drag tags here from the watch list or the device tree to trend them.</source>
        <translation>从监视列表或设备树把变量拖到这里即可显示趋势。</translation>
    </message>
    <message>
        <source>10 s</source>
        <translation>10 s</translation>
    </message>
    <message>
        <source>1 min</source>
        <translation>1 min</translation>
    </message>
    <message>
        <source>10 min</source>
        <translation>10 min</translation>
    </message>
    <message>
        <source>1 h</source>
        <translation>1 h</translation>
    </message>
    <message>
        <source>All</source>
        <translation>全部</translation>
    </message>
    <message>
        <source>no value</source>
        <translation>无值</translation>
    </message>
    <message>
        <source>good</source>
        <translation>良好</translation>
    </message>
    <message>
        <source>uncertain</source>
        <translation>不确定</translation>
    </message>
    <message>
        <source>bad</source>
        <translation>坏</translation>
    </message>
    <message>
        <source>Export visible data</source>
        <translation>导出可见数据</translation>
    </message>
    <message>
        <source>CSV files (*.csv)</source>
        <translation>CSV 文件 (*.csv)</translation>
    </message>
    <message>
        <source>Export plot image</source>
        <translation>导出曲线图图像</translation>
    </message>
    <message>
        <source>PNG images (*.png)</source>
        <translation>PNG 图像 (*.png)</translation>
    </message>
    <message>
        <source>%1 rows written to %2</source>
        <translation>已将 %1 行写入 %2</translation>
    </message>
    <message>
        <source>%1: the image cannot be written (%2)</source>
        <translation>%1：无法写入图像（%2）</translation>
    </message>
    <message>
        <source>Plot saved to %1</source>
        <translation>曲线图已保存到 %1</translation>
    </message>
    <message>
        <source>Time range</source>
        <translation>时间范围</translation>
    </message>
</context>
<context>
    <name>TrustPrompt</name>
    <message>
        <source>Trust this server&apos;s certificate?</source>
        <translation>是否信任此服务器的证书？</translation>
    </message>
    <message>
        <source>The server presents a certificate this workbench has not seen before. Compare the fingerprint with the one the server&apos;s administrator gives you before you trust it.</source>
        <translation>服务器出示了一个本工作台从未见过的证书。信任之前，请将指纹与服务器管理员提供给您的指纹进行比对。</translation>
    </message>
    <message>
        <source>Endpoint:</source>
        <translation>端点：</translation>
    </message>
    <message>
        <source>Subject:</source>
        <translation>使用者：</translation>
    </message>
    <message>
        <source>Issuer:</source>
        <translation>颁发者：</translation>
    </message>
    <message>
        <source>Application URI:</source>
        <translation>应用程序 URI：</translation>
    </message>
    <message>
        <source>SHA-256 &amp;fingerprint:</source>
        <translation>SHA-256 指纹(&amp;F)：</translation>
    </message>
    <message>
        <source>Valid from:</source>
        <translation>有效期自：</translation>
    </message>
    <message>
        <source>Valid until:</source>
        <translation>有效期至：</translation>
    </message>
    <message>
        <source>Validity:</source>
        <translation>有效期：</translation>
    </message>
    <message>
        <source>EXPIRED: a connection will be refused even if you trust it</source>
        <translation>已过期：即使信任，连接也会被拒绝</translation>
    </message>
    <message>
        <source>NOT YET VALID: check the clocks of the server and this computer</source>
        <translation>尚未生效：请检查服务器和本机的时钟</translation>
    </message>
    <message numerus="yes">
        <source>%n day(s) left</source>
        <translation>
            <numerusform>剩余 %n 天</numerusform>
        </translation>
    </message>
    <message>
        <source>(none)</source>
        <translation>（无）</translation>
    </message>
    <message>
        <source>&amp;Copy</source>
        <translation>复制(&amp;C)</translation>
    </message>
    <message>
        <source>Copy the fingerprint</source>
        <translation>复制指纹</translation>
    </message>
    <message>
        <source>&amp;Trust</source>
        <translation>信任(&amp;T)</translation>
    </message>
    <message>
        <source>&amp;Reject</source>
        <translation>拒绝(&amp;R)</translation>
    </message>
</context>
<context>
    <name>ValidationPanel</name>
    <message>
        <source>Error</source>
        <translation>错误</translation>
    </message>
    <message>
        <source>Warning</source>
        <translation>警告</translation>
    </message>
    <message>
        <source>No graph is open</source>
        <translation>没有打开的模型图</translation>
    </message>
    <message>
        <source>No problems: the graph can run</source>
        <translation>没有问题：模型图可以运行</translation>
    </message>
    <message>
        <source>{errors} errors, {warnings} warnings</source>
        <translation>{errors} 个错误，{warnings} 个警告</translation>
    </message>
    <message>
        <source>Severity</source>
        <translation>严重程度</translation>
    </message>
    <message>
        <source>Node</source>
        <translation>节点</translation>
    </message>
    <message>
        <source>Problem</source>
        <translation>问题</translation>
    </message>
</context>
<context>
    <name>WatchListView</name>
    <message>
        <source>Write value…</source>
        <translation>写入值…</translation>
    </message>
    <message>
        <source>Trend</source>
        <translation>显示趋势</translation>
    </message>
    <message>
        <source>Sampling interval and deadband…</source>
        <translation>采样间隔和死区…</translation>
    </message>
    <message>
        <source>Save as profile…</source>
        <translation>另存为配置文件…</translation>
    </message>
    <message>
        <source>Copy</source>
        <translation>复制</translation>
    </message>
    <message>
        <source>Paste tags</source>
        <translation>粘贴变量</translation>
    </message>
    <message>
        <source>Remove</source>
        <translation>移除</translation>
    </message>
    <message>
        <source>Display format</source>
        <translation>显示格式</translation>
    </message>
    <message>
        <source>Decimal</source>
        <translation>十进制</translation>
    </message>
    <message>
        <source>Hexadecimal</source>
        <translation>十六进制</translation>
    </message>
    <message>
        <source>Binary</source>
        <translation>二进制</translation>
    </message>
    <message>
        <source>Engineering notation</source>
        <translation>工程计数法</translation>
    </message>
    <message>
        <source>No devices connected. Connect a device, then drag its tags here to watch their values.</source>
        <translation>没有已连接的设备。请先连接设备，再把它的变量拖到这里监视数值。</translation>
    </message>
    <message>
        <source>Drag tags here from the device tree or a register table to watch them.</source>
        <translation>从设备树或寄存器表把变量拖到这里即可监视。</translation>
    </message>
</context>
<context>
    <name>WatchTableModel</name>
    <message>
        <source>Name</source>
        <translation>名称</translation>
    </message>
    <message>
        <source>Value</source>
        <translation>值</translation>
    </message>
    <message>
        <source>Unit</source>
        <translation>单位</translation>
    </message>
    <message>
        <source>Quality</source>
        <translation>质量</translation>
    </message>
    <message>
        <source>Source time</source>
        <translation>源时间戳</translation>
    </message>
    <message>
        <source>Updates</source>
        <translation>更新次数</translation>
    </message>
    <message>
        <source>good</source>
        <translation>良好</translation>
    </message>
    <message>
        <source>uncertain</source>
        <translation>不确定</translation>
    </message>
    <message>
        <source>bad</source>
        <translation>坏</translation>
    </message>
    <message>
        <source>Sampling interval: %1 ms</source>
        <translation>采样间隔：%1 ms</translation>
    </message>
    <message>
        <source>Deadband: %1</source>
        <translation>死区：%1</translation>
    </message>
</context>
<context>
    <name>WindowActions</name>
    <message>
        <source>&amp;Undo {command}</source>
        <translation>撤销(&amp;U) {command}</translation>
    </message>
    <message>
        <source>&amp;Redo {command}</source>
        <translation>重做(&amp;R) {command}</translation>
    </message>
    <message>
        <source>&amp;File</source>
        <translation>文件(&amp;F)</translation>
    </message>
    <message>
        <source>&amp;Edit</source>
        <translation>编辑(&amp;E)</translation>
    </message>
    <message>
        <source>&amp;View</source>
        <translation>视图(&amp;V)</translation>
    </message>
    <message>
        <source>&amp;Device</source>
        <translation>设备(&amp;D)</translation>
    </message>
    <message>
        <source>&amp;Model</source>
        <translation>模型(&amp;M)</translation>
    </message>
    <message>
        <source>&amp;App</source>
        <translation>应用(&amp;A)</translation>
    </message>
    <message>
        <source>&amp;Help</source>
        <translation>帮助(&amp;H)</translation>
    </message>
    <message>
        <source>&amp;New Project…</source>
        <translation>新建项目(&amp;N)…</translation>
    </message>
    <message>
        <source>Create a new project folder</source>
        <translation>创建新的项目文件夹</translation>
    </message>
    <message>
        <source>&amp;Open Project…</source>
        <translation>打开项目(&amp;O)…</translation>
    </message>
    <message>
        <source>Open a project folder</source>
        <translation>打开项目文件夹</translation>
    </message>
    <message>
        <source>Open &amp;Example Project</source>
        <translation>打开示例项目(&amp;E)</translation>
    </message>
    <message>
        <source>Open the pump-station example shipped with Millwright</source>
        <translation>打开 Millwright 自带的泵站示例</translation>
    </message>
    <message>
        <source>&amp;Save</source>
        <translation>保存(&amp;S)</translation>
    </message>
    <message>
        <source>Save the project</source>
        <translation>保存项目</translation>
    </message>
    <message>
        <source>Save Project &amp;As…</source>
        <translation>项目另存为(&amp;A)…</translation>
    </message>
    <message>
        <source>Copy the project to a new folder and continue there</source>
        <translation>将项目复制到新文件夹并在那里继续工作</translation>
    </message>
    <message>
        <source>&amp;Close Project</source>
        <translation>关闭项目(&amp;C)</translation>
    </message>
    <message>
        <source>Close the project</source>
        <translation>关闭项目</translation>
    </message>
    <message>
        <source>Clear Recent Projects</source>
        <translation>清除最近的项目</translation>
    </message>
    <message>
        <source>&amp;Quit</source>
        <translation>退出(&amp;Q)</translation>
    </message>
    <message>
        <source>Quit Millwright</source>
        <translation>退出 Millwright</translation>
    </message>
    <message>
        <source>Cu&amp;t</source>
        <translation>剪切(&amp;T)</translation>
    </message>
    <message>
        <source>&amp;Copy</source>
        <translation>复制(&amp;C)</translation>
    </message>
    <message>
        <source>&amp;Paste</source>
        <translation>粘贴(&amp;P)</translation>
    </message>
    <message>
        <source>&amp;Preferences…</source>
        <translation>首选项(&amp;P)…</translation>
    </message>
    <message>
        <source>Language, theme and autosave</source>
        <translation>语言、主题和自动保存</translation>
    </message>
    <message>
        <source>&amp;Reset Panel Layout</source>
        <translation>重置面板布局(&amp;R)</translation>
    </message>
    <message>
        <source>Put every panel back where it started</source>
        <translation>将所有面板恢复到初始位置</translation>
    </message>
    <message>
        <source>Open &amp;Devices Folder</source>
        <translation>打开设备文件夹(&amp;D)</translation>
    </message>
    <message>
        <source>Show the project&apos;s devices folder in the file manager</source>
        <translation>在文件管理器中显示项目的设备文件夹</translation>
    </message>
    <message>
        <source>Open &amp;Graphs Folder</source>
        <translation>打开模型图文件夹(&amp;G)</translation>
    </message>
    <message>
        <source>Show the project&apos;s graphs folder in the file manager</source>
        <translation>在文件管理器中显示项目的模型图文件夹</translation>
    </message>
    <message>
        <source>Open &amp;Components Folder</source>
        <translation>打开组件文件夹(&amp;C)</translation>
    </message>
    <message>
        <source>Show the project&apos;s components folder in the file manager</source>
        <translation>在文件管理器中显示项目的组件文件夹</translation>
    </message>
    <message>
        <source>Open &amp;Apps Folder</source>
        <translation>打开应用文件夹(&amp;A)</translation>
    </message>
    <message>
        <source>Show the project&apos;s apps folder in the file manager</source>
        <translation>在文件管理器中显示项目的应用文件夹</translation>
    </message>
    <message>
        <source>&amp;About Millwright</source>
        <translation>关于 Millwright(&amp;A)</translation>
    </message>
    <message>
        <source>About &amp;Qt</source>
        <translation>关于 Qt(&amp;Q)</translation>
    </message>
    <message>
        <source>Follow the &amp;System</source>
        <translation>跟随系统(&amp;S)</translation>
    </message>
    <message>
        <source>&amp;Light</source>
        <translation>浅色(&amp;L)</translation>
    </message>
    <message>
        <source>&amp;Dark</source>
        <translation>深色(&amp;D)</translation>
    </message>
    <message>
        <source>Open &amp;Recent</source>
        <translation>最近打开(&amp;R)</translation>
    </message>
    <message>
        <source>&amp;Theme</source>
        <translation>主题(&amp;T)</translation>
    </message>
    <message>
        <source>Main toolbar</source>
        <translation>主工具栏</translation>
    </message>
    <message>
        <source>Main &amp;Toolbar</source>
        <translation>主工具栏(&amp;T)</translation>
    </message>
</context>
<context>
    <name>WriteDialog</name>
    <message>
        <source>✔ Written. Read back: %1</source>
        <translation>✔ 已写入。回读值：%1</translation>
    </message>
    <message>
        <source>✘ Refused: %1</source>
        <translation>✘ 被拒绝：%1</translation>
    </message>
    <message>
        <source>✘ Failed: %1</source>
        <translation>✘ 失败：%1</translation>
    </message>
    <message>
        <source>Enable writes</source>
        <translation>启用写入</translation>
    </message>
    <message>
        <source>Enable writes to %1? Values written change the device.</source>
        <translation>是否启用向 %1 写入？写入的值会改变设备。</translation>
    </message>
    <message>
        <source>Write %1</source>
        <translation>写入 %1</translation>
    </message>
    <message>
        <source>Tag</source>
        <translation>变量</translation>
    </message>
    <message>
        <source>Device</source>
        <translation>设备</translation>
    </message>
    <message>
        <source>Data type</source>
        <translation>数据类型</translation>
    </message>
    <message>
        <source>Unit</source>
        <translation>单位</translation>
    </message>
    <message>
        <source>Limits</source>
        <translation>限值</translation>
    </message>
    <message>
        <source>Current value</source>
        <translation>当前值</translation>
    </message>
    <message>
        <source>New value</source>
        <translation>新值</translation>
    </message>
    <message>
        <source>Write…</source>
        <translation>写入…</translation>
    </message>
    <message>
        <source>Write</source>
        <translation>写入</translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation>取消</translation>
    </message>
    <message>
        <source>Enable writes for %1…</source>
        <translation>为 %1 启用写入…</translation>
    </message>
    <message>
        <source>Writes to %1 are disabled. Enable them in the Devices view (Device ▸ Enable writes).</source>
        <translation>向 %1 写入已禁用。请在“设备”视图中启用（“设备 ▸ 启用写入”）。</translation>
    </message>
    <message>
        <source>Writing…</source>
        <translation>正在写入…</translation>
    </message>
    <message>
        <source>none</source>
        <translation>无</translation>
    </message>
    <message>
        <source>reading…</source>
        <translation>正在读取…</translation>
    </message>
    <message>
        <source>not read (the device is not connected)</source>
        <translation>未读取（设备未连接）</translation>
    </message>
    <message>
        <source>good</source>
        <translation>良好</translation>
    </message>
    <message>
        <source>uncertain</source>
        <translation>不确定</translation>
    </message>
    <message>
        <source>bad</source>
        <translation>坏</translation>
    </message>
    <message>
        <source>Reading the tag…</source>
        <translation>正在读取变量…</translation>
    </message>
    <message>
        <source>Writing structures (%1) is not supported by the driver: the value is shown only.</source>
        <translation>驱动不支持写入结构体（%1）：仅显示该值。</translation>
    </message>
    <message>
        <source>✔ %1 within %2…%3</source>
        <translation>✔ %1 在 %2…%3 范围内</translation>
    </message>
    <message>
        <source>✔ %1 fits %2</source>
        <translation>✔ %1 符合 %2</translation>
    </message>
    <message>
        <source>not read</source>
        <translation>未读取</translation>
    </message>
    <message>
        <source>Write %1 to %2 (was %3)?</source>
        <translation>是否将 %1 写入 %2（原值 %3）？</translation>
    </message>
</context>
<context>
    <name>self.view</name>
    <message>
        <source>No port of {node} fits this wire</source>
        <translation>{node} 没有适合此连线的端口</translation>
    </message>
</context>
<context>
    <name>view</name>
    <message>
        <source>{tag} (history)</source>
        <translation>{tag}（历史）</translation>
    </message>
    <message>
        <source>Open a graph first: double-click one in the Project panel&apos;s graphs folder.</source>
        <translation>请先打开一个模型图：在“项目”面板的模型图文件夹中双击一个模型图。</translation>
    </message>
</context>
<context>
    <name>widget</name>
    <message>
        <source>1–247 address one device; 0 is a broadcast that nobody answers; gateways often use 255 (or 1) for the gateway itself.</source>
        <translation>1–247 各对应一台设备；0 为广播地址，没有设备应答；网关本身常使用 255（或 1）。</translation>
    </message>
</context>
</TS>
