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
        <source>No devices in this project yet.</source>
        <translation>此项目中还没有设备。</translation>
    </message>
    <message>
        <source>Components appear here when a graph is open.</source>
        <translation>打开模型图后，组件会显示在这里。</translation>
    </message>
    <message>
        <source>No trends yet. Tags you watch are trended here.</source>
        <translation>还没有趋势。您监视的变量会在这里显示趋势。</translation>
    </message>
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
    <name>WatchListView</name>
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
</TS>
