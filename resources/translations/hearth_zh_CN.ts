<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="zh_CN">
<context>
    <name>ApiServerTab</name>
    <message>
        <location filename="../../desktop_app/ui/settings/api_server_tab.py" line="+57"/>
        <source>Let other apps use Hearth&apos;s models through an OpenAI-compatible API</source>
        <translation>允许其他应用通过与 OpenAI 兼容的 API 使用 Hearth 的模型</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>Other computers on the network can reach this address. Anyone with the key can use your models; keep 127.0.0.1 unless you need that.</source>
        <translation>网络上的其他电脑可以访问此地址，任何持有密钥的人都能使用你的模型；除非确有需要，请保留 127.0.0.1。</translation>
    </message>
    <message>
        <location line="+10"/>
        <source>Only localhost and the address above</source>
        <translation>仅 localhost 和上面的地址</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>None: browsers&apos; pages cannot call it</source>
        <translation>无：浏览器中的网页无法调用它</translation>
    </message>
    <message>
        <location line="+3"/>
        <source> KiB</source>
        <translation> KiB</translation>
    </message>
    <message>
        <location line="+20"/>
        <location line="+102"/>
        <source>Show</source>
        <translation>显示</translation>
    </message>
    <message>
        <location line="-100"/>
        <source>Copy</source>
        <translation>复制</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Regenerate…</source>
        <translation>重新生成…</translation>
    </message>
    <message>
        <location line="+11"/>
        <source>Address:</source>
        <translation>地址：</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Port:</source>
        <translation>端口：</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Also allowed host names:</source>
        <translation>其他允许的主机名：</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Browser origins (CORS):</source>
        <translation>浏览器来源（CORS）：</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Largest request:</source>
        <translation>最大请求：</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Largest max_tokens:</source>
        <translation>最大 max_tokens：</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>State:</source>
        <translation>状态：</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Requests:</source>
        <translation>请求数：</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>API key:</source>
        <translation>API 密钥：</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>Clients send the key as “Authorization: Bearer &lt;key&gt;”. Requests wait their turn with your own chats; only the model loaded in Hearth is served. Changes apply when you press OK.</source>
        <translation>客户端以“Authorization: Bearer &lt;密钥&gt;”发送密钥。请求与你自己的对话轮流使用模型；只提供 Hearth 中已加载的模型。按“确定”后更改生效。</translation>
    </message>
    <message>
        <location line="+45"/>
        <source>The key is on the clipboard.</source>
        <translation>密钥已复制到剪贴板。</translation>
    </message>
    <message>
        <location line="+12"/>
        <source>A new key was made; the old one no longer works.</source>
        <translation>已生成新密钥；旧密钥不再有效。</translation>
    </message>
    <message>
        <location line="+15"/>
        <source>Hide</source>
        <translation>隐藏</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>Regenerate the API key?</source>
        <translation>重新生成 API 密钥？</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Apps that use the current key will be refused until you give them the new one.</source>
        <translation>使用当前密钥的应用将被拒绝，直到你为它们换上新密钥。</translation>
    </message>
    <message>
        <location line="+10"/>
        <source>Running at {address}</source>
        <translation>运行于 {address}</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Failed: {reason}</source>
        <translation>失败：{reason}</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Stopped</source>
        <translation>已停止</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>{n} since it started</source>
        <translation>启动以来 {n} 个</translation>
    </message>
</context>
<context>
    <name>ApprovalDialog</name>
    <message>
        <location filename="../../desktop_app/ui/tools/approval_dialog.py" line="+41"/>
        <source>Allow a tool?</source>
        <translation>允许使用工具？</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>The model wants to use “{tool}” ({source}) with these arguments:</source>
        <translation>模型想用以下参数调用“{tool}”（{source}）：</translation>
    </message>
    <message>
        <location line="+12"/>
        <source>Allow once</source>
        <translation>允许一次</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Allow for this chat</source>
        <translation>在此对话中允许</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Always allow this tool</source>
        <translation>始终允许此工具</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Deny</source>
        <translation>拒绝</translation>
    </message>
</context>
<context>
    <name>AttachButton</name>
    <message>
        <location filename="../../desktop_app/ui/documents/attach_button.py" line="+32"/>
        <source>Add files to this chat</source>
        <translation>为此对话添加文件</translation>
    </message>
    <message>
        <location line="+63"/>
        <source>No collections yet</source>
        <translation>还没有文档集</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>Files in this chat</source>
        <translation>此对话中的文件</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>Add a file…</source>
        <translation>添加文件…</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Answer from a file in this chat only, without making a collection</source>
        <translation>只在此对话中根据文件回答，无需建立文档集</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Manage documents…</source>
        <translation>管理文档…</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Documents</source>
        <translation>文档</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Answer from your documents: attach collections to this chat</source>
        <translation>根据你的文档回答：为此对话附加文档集</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Documents: {name}</source>
        <translation>文档：{name}</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Answers use {name}</source>
        <translation>回答使用 {name}</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Documents ({n})</source>
        <translation>文档（{n}）</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Answers use {names}</source>
        <translation>回答使用 {names}</translation>
    </message>
    <message>
        <location line="+9"/>
        <source>Remove from this chat</source>
        <translation>从此对话移除</translation>
    </message>
    <message>
        <location line="+7"/>
        <source>ready</source>
        <translation>就绪</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>failed</source>
        <translation>失败</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>indexing…</source>
        <translation>正在索引…</translation>
    </message>
</context>
<context>
    <name>Banner</name>
    <message>
        <location filename="../../desktop_app/ui/main_window.py" line="+81"/>
        <source>Dismiss</source>
        <translation>关闭</translation>
    </message>
</context>
<context>
    <name>CatalogModel</name>
    <message>
        <location filename="../../desktop_app/ui/models/hub_models.py" line="+98"/>
        <source>Model</source>
        <translation>模型</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Parameters</source>
        <translation>参数量</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Size</source>
        <translation>大小</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Licence</source>
        <translation>许可证</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Fit</source>
        <translation>适配</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Status</source>
        <translation>状态</translation>
    </message>
    <message>
        <location line="+32"/>
        <source>Downloaded</source>
        <translation>已下载</translation>
    </message>
</context>
<context>
    <name>ChatController</name>
    <message>
        <location filename="../../desktop_app/ui/chat/chat_controller.py" line="+216"/>
        <source>The reply is saved now.</source>
        <translation>回复现已保存。</translation>
    </message>
    <message>
        <location line="+40"/>
        <source>The chat settings were not saved: {e}</source>
        <translation>对话设置未保存：{e}</translation>
    </message>
    <message>
        <location line="+22"/>
        <source>Could not open the conversation: {e}</source>
        <translation>无法打开对话：{e}</translation>
    </message>
    <message>
        <location line="+246"/>
        <location line="+30"/>
        <source>Wait for the reply to finish, or press Stop.</source>
        <translation>请等待回复完成，或点击“停止”。</translation>
    </message>
    <message>
        <location line="-100"/>
        <location line="+103"/>
        <source>Choose a model first.</source>
        <translation>请先选择模型。</translation>
    </message>
    <message>
        <location line="-243"/>
        <location line="+10"/>
        <source>New chat</source>
        <translation>新建对话</translation>
    </message>
    <message>
        <location line="-9"/>
        <source>Deleted “{title}”.</source>
        <translation>已删除“{title}”。</translation>
    </message>
    <message>
        <location line="+9"/>
        <source>{title} (copy)</source>
        <translation>{title}（副本）</translation>
    </message>
    <message>
        <location line="+40"/>
        <source>The export to {path} failed: {e}</source>
        <translation>导出到 {path} 失败：{e}</translation>
    </message>
    <message>
        <location line="+99"/>
        <location line="+105"/>
        <source>Your message was not sent: {e}</source>
        <translation>消息未发送：{e}</translation>
    </message>
    <message numerus="yes">
        <location line="-81"/>
        <source>Deleted %n message(s).</source>
        <translation>
            <numerusform>已删除 %n 条消息。</numerusform>
        </translation>
    </message>
    <message>
        <location line="+203"/>
        <source>{n} older messages no longer fit in the model&apos;s context window and are not seen by the model.</source>
        <translation>{n} 条较早的消息已超出模型的上下文窗口，模型将看不到它们。</translation>
    </message>
    <message>
        <location line="+114"/>
        <source>{e} The reply is kept on screen and saved as soon as that works again.</source>
        <translation>{e} 回复仍显示在屏幕上，一旦可以写入就会保存。</translation>
    </message>
    <message>
        <location line="+14"/>
        <source>This chat history is open read-only (it is from a newer Hearth): nothing can be sent or changed.</source>
        <translation>此聊天记录以只读方式打开（来自更新版本的 Hearth）：无法发送或更改任何内容。</translation>
    </message>
</context>
<context>
    <name>ChatDocuments</name>
    <message>
        <location filename="../../desktop_app/ui/documents/chat_documents.py" line="+312"/>
        <source>Your documents could not be searched ({error}); the model answers without them.</source>
        <translation>无法搜索你的文档（{error}）；模型将不参考文档直接回答。</translation>
    </message>
</context>
<context>
    <name>ChatView</name>
    <message>
        <location filename="../../desktop_app/ui/chat/chat_view.py" line="+90"/>
        <source>Open link?</source>
        <translation>打开链接？</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>Open this address in your web browser?

{url}</source>
        <translation>在网页浏览器中打开这个地址吗？

{url}</translation>
    </message>
    <message>
        <location line="+102"/>
        <location line="+1"/>
        <source>Jump to latest</source>
        <translation>跳到最新</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Scroll to the newest message and follow the reply</source>
        <translation>滚动到最新消息并跟随回复</translation>
    </message>
    <message>
        <location line="+204"/>
        <source>Type a message below to start.
Everything stays on this computer.</source>
        <translation>在下方输入消息即可开始。
所有内容都只保存在这台电脑上。</translation>
    </message>
</context>
<context>
    <name>Composer</name>
    <message>
        <location filename="../../desktop_app/ui/chat/composer.py" line="+144"/>
        <source>Message Hearth… (Enter to send, Shift+Enter for a new line)</source>
        <translation>给 Hearth 发消息…（Enter 发送，Shift+Enter 换行）</translation>
    </message>
    <message>
        <location line="+1"/>
        <location line="+38"/>
        <source>Send</source>
        <translation>发送</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Stop</source>
        <translation>停止</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Stop the reply (Esc)</source>
        <translation>停止回复（Esc）</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Send (Enter)</source>
        <translation>发送（Enter）</translation>
    </message>
    <message>
        <location line="+20"/>
        <source>Not pasted: that would make the message {n} characters long, and Hearth sends at most {limit} (more than any model can read at once). The clipboard still holds it.</source>
        <translation>未粘贴：这会使消息长达 {n} 个字符，而 Hearth 最多发送 {limit} 个字符（超过任何模型一次能读取的长度）。剪贴板中仍保留该内容。</translation>
    </message>
    <message>
        <location line="+18"/>
        <source>This message is {n} characters long; Hearth sends at most {limit} (more than any model can read at once). Shorten it or send it in parts: your text stays in the box.</source>
        <translation>此消息长达 {n} 个字符；Hearth 最多发送 {limit} 个字符（超过任何模型一次能读取的长度）。请缩短或分段发送：你的文字仍保留在输入框中。</translation>
    </message>
</context>
<context>
    <name>ConnectionTest</name>
    <message>
        <location filename="../../desktop_app/ui/settings/connection_test.py" line="+51"/>
        <source>Connecting to {name}…</source>
        <translation>正在连接 {name}…</translation>
    </message>
    <message>
        <location line="+19"/>
        <source>{name} answered in {ms} ms but serves no models.</source>
        <translation>{name} 在 {ms} 毫秒内响应，但没有提供任何模型。</translation>
    </message>
    <message>
        <location line="+5"/>
        <source> and {n} more</source>
        <translation> 等另外 {n} 个</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>{name} answered in {ms} ms. Models ({n}): {models}</source>
        <translation>{name} 在 {ms} 毫秒内响应。模型（{n} 个）：{models}</translation>
    </message>
    <message>
        <location line="+10"/>
        <source>The key could not be read: {reason}</source>
        <translation>无法读取密钥：{reason}</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>{name}: {reason}</source>
        <translation>{name}：{reason}</translation>
    </message>
</context>
<context>
    <name>ConversationListModel</name>
    <message>
        <location filename="../../desktop_app/ui/chat/conversation_list.py" line="+119"/>
        <source>New chat</source>
        <translation>新建对话</translation>
    </message>
    <message>
        <location line="+61"/>
        <source>Pinned</source>
        <translation>已置顶</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Today</source>
        <translation>今天</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Yesterday</source>
        <translation>昨天</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Previous 7 days</source>
        <translation>过去 7 天</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Older</source>
        <translation>更早</translation>
    </message>
</context>
<context>
    <name>ConversationSettingsDialog</name>
    <message>
        <location filename="../../desktop_app/ui/chat/conversation_settings_dialog.py" line="+50"/>
        <source>Chat settings – {title}</source>
        <translation>对话设置 – {title}</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Chat settings</source>
        <translation>对话设置</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>No model loaded</source>
        <translation>未加载模型</translation>
    </message>
    <message>
        <location line="+7"/>
        <source>How the conversation is turned into the text the model reads. It comes from the model and cannot be changed here.</source>
        <translation>对话转换为模型输入文本的方式。它由模型决定，无法在此更改。</translation>
    </message>
    <message>
        <location line="+7"/>
        <source>Instructions the model follows for the whole conversation, e.g. “You are a concise assistant.”</source>
        <translation>模型在整个对话中遵循的指令，例如“你是一个简洁的助手。”</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>Generation</source>
        <translation>生成</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>Use as default for new chats</source>
        <translation>设为新对话的默认设置</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>New conversations start with this system prompt and these settings.</source>
        <translation>新对话将使用此系统提示词和这些设置。</translation>
    </message>
    <message>
        <location line="+14"/>
        <source>Prompt format:</source>
        <translation>提示词格式：</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>System prompt:</source>
        <translation>系统提示词：</translation>
    </message>
</context>
<context>
    <name>DocumentTableModel</name>
    <message>
        <location filename="../../desktop_app/ui/documents/document_table.py" line="+37"/>
        <source>Document</source>
        <translation>文档</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>State</source>
        <translation>状态</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Pages</source>
        <translation>页数</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Chunks</source>
        <translation>片段</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Notes</source>
        <translation>备注</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>Queued</source>
        <translation>排队中</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Reading</source>
        <translation>读取中</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Embedding</source>
        <translation>向量化中</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Ready</source>
        <translation>就绪</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Failed</source>
        <translation>失败</translation>
    </message>
</context>
<context>
    <name>DocumentsPage</name>
    <message>
        <location filename="../../desktop_app/ui/documents/documents_page.py" line="+81"/>
        <source>Name:</source>
        <translation>名称：</translation>
    </message>
    <message>
        <location line="+20"/>
        <source>Documents</source>
        <translation>文档</translation>
    </message>
    <message>
        <location line="+16"/>
        <source>New…</source>
        <translation>新建…</translation>
    </message>
    <message>
        <location line="+1"/>
        <location line="+75"/>
        <source>Rename…</source>
        <translation>重命名…</translation>
    </message>
    <message>
        <location line="-74"/>
        <location line="+76"/>
        <source>Delete…</source>
        <translation>删除…</translation>
    </message>
    <message>
        <location line="-72"/>
        <source>Collections</source>
        <translation>文档集</translation>
    </message>
    <message>
        <location line="+10"/>
        <source>Add files…</source>
        <translation>添加文件…</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Add folder…</source>
        <translation>添加文件夹…</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Remove</source>
        <translation>移除</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Re-index</source>
        <translation>重新索引</translation>
    </message>
    <message>
        <location line="+1"/>
        <location line="+62"/>
        <source>Embedder…</source>
        <translation>嵌入模型…</translation>
    </message>
    <message>
        <location line="-61"/>
        <source>Choose what turns this collection&apos;s passages into vectors</source>
        <translation>选择将此文档集的段落转换为向量的模型</translation>
    </message>
    <message>
        <location line="+11"/>
        <source>Drop files or folders here to add them: PDF, Word, Markdown, HTML, text and source code.</source>
        <translation>将文件或文件夹拖到这里即可添加：PDF、Word、Markdown、HTML、文本和源代码。</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Keep added folders up to date</source>
        <translation>保持已添加的文件夹同步</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>New and changed files in the folder are indexed, and removed ones leave the collection, while Hearth runs and when it starts again.</source>
        <translation>在 Hearth 运行期间及下次启动时，文件夹中新增和修改的文件会被索引，删除的文件会移出文档集。</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>Cancel</source>
        <translation>取消</translation>
    </message>
    <message>
        <location line="+32"/>
        <source>Re-index all documents…</source>
        <translation>重新索引所有文档…</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>Stop watching its folders</source>
        <translation>停止监视其文件夹</translation>
    </message>
    <message>
        <location line="+45"/>
        <source>New collection</source>
        <translation>新建文档集</translation>
    </message>
    <message>
        <location line="+11"/>
        <source>Rename collection</source>
        <translation>重命名文档集</translation>
    </message>
    <message>
        <location line="+11"/>
        <source>Delete collection</source>
        <translation>删除文档集</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Delete the collection “{name}”? Its index (the text and vectors Hearth made of its documents) is deleted too. Your files themselves are not touched.</source>
        <translation>删除文档集“{name}”？它的索引（Hearth 根据文档生成的文本和向量）也会一并删除。你的文件本身不受影响。</translation>
    </message>
    <message>
        <location line="+12"/>
        <source>Create or choose a collection first.</source>
        <translation>请先新建或选择一个文档集。</translation>
    </message>
    <message>
        <location line="+45"/>
        <source>Re-index collection</source>
        <translation>重新索引文档集</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Index every document of “{name}” again? Its current index is deleted first; questions find less until indexing is done.</source>
        <translation>重新索引“{name}”中的所有文档？现有索引会先被删除；索引完成前，提问能找到的内容会变少。</translation>
    </message>
    <message>
        <location line="+16"/>
        <source>Change the embedder</source>
        <translation>更换嵌入模型</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Index every document of “{name}” again with {embedder}? Its current index is deleted first; questions find less until indexing is done.</source>
        <translation>用 {embedder} 重新索引“{name}”中的所有文档？现有索引会先被删除；索引完成前，提问能找到的内容会变少。</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>Checking the embedder…</source>
        <translation>正在检查嵌入模型…</translation>
    </message>
    <message>
        <location line="+83"/>
        <source>Indexing paused. It goes on with the next file you add, or when Hearth starts again.</source>
        <translation>索引已暂停。添加下一个文件或 Hearth 再次启动时会继续。</translation>
    </message>
    <message>
        <location line="+19"/>
        <source>{done} of {total} documents</source>
        <translation>{done}/{total} 个文档</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>{n} failed</source>
        <translation>{n} 个失败</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>{rate:.0f} chunks/s</source>
        <translation>{rate:.0f} 片段/秒</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>about {s} left</source>
        <translation>约剩 {s}</translation>
    </message>
    <message>
        <location line="+15"/>
        <source>No collection yet</source>
        <translation>还没有文档集</translation>
    </message>
    <message numerus="yes">
        <location line="+7"/>
        <source>%n document(s)</source>
        <translation>
            <numerusform>%n 个文档</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <location line="+1"/>
        <source>%n chunk(s)</source>
        <translation>
            <numerusform>%n 个片段</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <location line="+3"/>
        <source>watching %n folder(s)</source>
        <translation>
            <numerusform>正在监视 %n 个文件夹</numerusform>
        </translation>
    </message>
    <message>
        <location line="+18"/>
        <source>Add files</source>
        <translation>添加文件</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>Add folder</source>
        <translation>添加文件夹</translation>
    </message>
    <message>
        <location line="+25"/>
        <source>bundled multilingual encoder</source>
        <translation>内置多语言编码器</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>{model} on a server</source>
        <translation>服务器上的 {model}</translation>
    </message>
    <message>
        <location line="+10"/>
        <source>{n} s</source>
        <translation>{n} 秒</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>{n} min</source>
        <translation>{n} 分钟</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>{n:.1f} h</source>
        <translation>{n:.1f} 小时</translation>
    </message>
</context>
<context>
    <name>DownloadListModel</name>
    <message>
        <location filename="../../desktop_app/ui/models/download_list_model.py" line="+107"/>
        <source>Model</source>
        <translation>模型</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Progress</source>
        <translation>进度</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Status</source>
        <translation>状态</translation>
    </message>
    <message>
        <location line="+28"/>
        <source>Starting…</source>
        <translation>正在开始…</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>{done} of {total} · {speed}/s · {eta} left</source>
        <translation>{done} / {total} · {speed}/s · 剩余 {eta}</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Waiting…</source>
        <translation>等待中…</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Paused · {done} of {total}</source>
        <translation>已暂停 · {done} / {total}</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Paused</source>
        <translation>已暂停</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Done · {total} · verified</source>
        <translation>已完成 · {total} · 已校验</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Cancelled</source>
        <translation>已取消</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Failed: {error}</source>
        <translation>失败：{error}</translation>
    </message>
</context>
<context>
    <name>DownloadsTab</name>
    <message>
        <location filename="../../desktop_app/ui/models/downloads_tab.py" line="+42"/>
        <source>Nothing is downloading. Choose a model under Recommended or Search Hugging Face.</source>
        <translation>当前没有下载任务。可在“推荐”或“搜索 Hugging Face”中选择模型。</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>Pause</source>
        <translation>暂停</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Resume</source>
        <translation>继续</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Cancel download</source>
        <translation>取消下载</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Use</source>
        <translation>使用</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Clear finished</source>
        <translation>清除已完成</translation>
    </message>
</context>
<context>
    <name>EmbedderDialog</name>
    <message>
        <location filename="../../desktop_app/ui/documents/embedder_dialog.py" line="+105"/>
        <source>Embedder</source>
        <translation>嵌入模型</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>Bundled multilingual encoder (recommended)</source>
        <translation>内置多语言编码器（推荐）</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Works offline and needs no download. It matches English questions to Chinese passages and back, and knows 16 languages.</source>
        <translation>离线可用，无需下载。能用英文问题找到中文段落，反之亦然，支持 16 种语言。</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>A GGUF model from your model library</source>
        <translation>模型库中的 GGUF 模型</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>Any GGUF model can make vectors, but only an embedding model (such as bge-m3 or multilingual-e5) finds the right passages; a chat model gives poor results.</source>
        <translation>任何 GGUF 模型都能生成向量，但只有嵌入模型（如 bge-m3 或 multilingual-e5）才能找到正确的段落；对话模型效果很差。</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>An embedding model on a server</source>
        <translation>服务器上的嵌入模型</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>Choose a listed model or type its name</source>
        <translation>选择列出的模型或输入其名称</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>List models</source>
        <translation>列出模型</translation>
    </message>
    <message>
        <location line="+29"/>
        <source>The embedder turns every passage into a vector. Changing it indexes the collection again.</source>
        <translation>嵌入模型把每个段落转换为向量。更换后会重新索引文档集。</translation>
    </message>
    <message>
        <location line="+14"/>
        <source>{name} (chat model)</source>
        <translation>{name}（对话模型）</translation>
    </message>
    <message>
        <location line="+8"/>
        <source>Add a server in Settings › Servers to use its embedding models.</source>
        <translation>在“设置 › 服务器”中添加服务器，即可使用其嵌入模型。</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Hearth is in offline mode: a server&apos;s embedder works once offline mode is off.</source>
        <translation>Hearth 处于离线模式：关闭离线模式后才能使用服务器上的嵌入模型。</translation>
    </message>
    <message>
        <location line="+32"/>
        <source>Asking {server} for its models…</source>
        <translation>正在向 {server} 获取模型列表…</translation>
    </message>
    <message numerus="yes">
        <location line="+18"/>
        <source>%n model(s) listed; you may also type a name.</source>
        <translation>
            <numerusform>列出了 %n 个模型；也可以直接输入名称。</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>ExternalModelsModel</name>
    <message>
        <location filename="../../desktop_app/ui/models/library_model.py" line="+122"/>
        <source>File</source>
        <translation>文件</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Size</source>
        <translation>大小</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Folder</source>
        <translation>文件夹</translation>
    </message>
</context>
<context>
    <name>FitBadge</name>
    <message>
        <location filename="../../desktop_app/ui/models/hub_models.py" line="-89"/>
        <source>Fits</source>
        <translation>可运行</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Tight</source>
        <translation>内存紧张</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Won&apos;t fit</source>
        <translation>内存不足</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Unknown</source>
        <translation>未知</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>Fits comfortably in this computer&apos;s free memory at a 4096-token context.</source>
        <translation>在 4096 token 的上下文下，本机空闲内存足以轻松容纳。</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Fits, but leaves little memory for other programs; the computer may slow down.</source>
        <translation>可以运行，但留给其他程序的内存很少，电脑可能会变慢。</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>Needs more memory than this computer has free.</source>
        <translation>所需内存超过本机的空闲内存。</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>The size of this file is not known.</source>
        <translation>此文件的大小未知。</translation>
    </message>
</context>
<context>
    <name>HitTableModel</name>
    <message>
        <location filename="../../desktop_app/ui/documents/retrieval_box.py" line="+46"/>
        <source>#</source>
        <translation>#</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Score</source>
        <translation>得分</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Document</source>
        <translation>文档</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Where</source>
        <translation>位置</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Text</source>
        <translation>文本</translation>
    </message>
</context>
<context>
    <name>LibraryModel</name>
    <message>
        <location filename="../../desktop_app/ui/models/library_model.py" line="-69"/>
        <source>Name</source>
        <translation>名称</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Quantization</source>
        <translation>量化</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Size</source>
        <translation>大小</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Location</source>
        <translation>位置</translation>
    </message>
    <message>
        <location line="+19"/>
        <source>{name} (in use)</source>
        <translation>{name}（使用中）</translation>
    </message>
    <message>
        <location line="+11"/>
        <source>Architecture: {arch}</source>
        <translation>架构：{arch}</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Trained context: {n} tokens</source>
        <translation>训练上下文：{n} 个 token</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Used in place: deleting it here leaves the file alone.</source>
        <translation>原位使用：在此删除不会删除该文件。</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>From Hugging Face: {repo}</source>
        <translation>来自 Hugging Face：{repo}</translation>
    </message>
</context>
<context>
    <name>LibraryTab</name>
    <message>
        <location filename="../../desktop_app/ui/models/library_tab.py" line="+48"/>
        <source>Use</source>
        <translation>使用</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Import a .gguf…</source>
        <translation>导入 .gguf…</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Delete…</source>
        <translation>删除…</translation>
    </message>
    <message>
        <location line="+13"/>
        <source>Use in place</source>
        <translation>原位使用</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Look again</source>
        <translation>重新查找</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Found elsewhere (Hugging Face cache, LM Studio)</source>
        <translation>在其他位置找到（Hugging Face 缓存、LM Studio）</translation>
    </message>
    <message>
        <location line="+55"/>
        <source>Remove {name} from Hearth? The file stays where it is:
{path}</source>
        <translation>从 Hearth 中移除 {name}？文件会保留在原处：
{path}</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Delete {name}? This removes {size} from
{path}</source>
        <translation>删除 {name}？这将从以下位置删除 {size}：
{path}</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Delete model</source>
        <translation>删除模型</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>{name} is the model in use, so it cannot be deleted. Choose another model in the window first, then delete this one.</source>
        <translation>{name} 正在使用中，无法删除。请先在主窗口中选择其他模型，再删除此模型。</translation>
    </message>
    <message>
        <location line="+13"/>
        <source>{name} could not be deleted: {error}</source>
        <translation>无法删除 {name}：{error}</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Deleted {name}.</source>
        <translation>已删除 {name}。</translation>
    </message>
    <message>
        <location line="+6"/>
        <location line="+4"/>
        <source>Import a GGUF model</source>
        <translation>导入 GGUF 模型</translation>
    </message>
    <message>
        <location line="-3"/>
        <source>GGUF models (*.gguf);;All files (*)</source>
        <translation>GGUF 模型 (*.gguf);;所有文件 (*)</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>Copy the file into Hearth&apos;s models folder, or use it where it is?</source>
        <translation>将文件复制到 Hearth 的模型文件夹，还是在原位置使用？</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Copy</source>
        <translation>复制</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Use where it is</source>
        <translation>在原位置使用</translation>
    </message>
    <message>
        <location line="+10"/>
        <source>Checking {path}…</source>
        <translation>正在检查 {path}…</translation>
    </message>
    <message>
        <location line="+8"/>
        <source>Added {name}.</source>
        <translation>已添加 {name}。</translation>
    </message>
    <message>
        <location line="+14"/>
        <source>{path} cannot be used: {error}</source>
        <translation>无法使用 {path}：{error}</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>{path} could not be imported: {error}</source>
        <translation>无法导入 {path}：{error}</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>Something went wrong: {error}</source>
        <translation>出现问题：{error}</translation>
    </message>
    <message>
        <location line="+7"/>
        <source>Looking for models other apps downloaded…</source>
        <translation>正在查找其他应用下载的模型…</translation>
    </message>
    <message>
        <location line="+8"/>
        <source>{n} models found.</source>
        <translation>找到 {n} 个模型。</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>No other models found.</source>
        <translation>未找到其他模型。</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>Could not look for other models: {error}</source>
        <translation>无法查找其他模型：{error}</translation>
    </message>
</context>
<context>
    <name>MainWindow</name>
    <message>
        <location filename="../../desktop_app/ui/main_window.py" line="+68"/>
        <source>Models</source>
        <translation>模型</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Find, download and manage models (Ctrl+M)</source>
        <translation>查找、下载和管理模型（Ctrl+M）</translation>
    </message>
    <message>
        <location line="+7"/>
        <source>Starter model: SmolLM2 135M, a tiny model to try Hearth with. It only speaks English and knows little; open Models (Ctrl+M) for a real assistant, including ones that speak Chinese.</source>
        <translation>入门模型：SmolLM2 135M，一个用来试用 Hearth 的小模型。它只会英语，知识有限；打开“模型”（Ctrl+M）获取真正的助手，包括会说中文的模型。</translation>
    </message>
    <message>
        <location line="+101"/>
        <source>&amp;File</source>
        <translation>文件(&amp;F)</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>&amp;New chat</source>
        <translation>新建对话(&amp;N)</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>&amp;Models…</source>
        <translation>模型(&amp;M)…</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>&amp;Documents…</source>
        <translation>文档(&amp;D)…</translation>
    </message>
    <message>
        <location line="+9"/>
        <source>&amp;Import conversations…</source>
        <translation>导入对话(&amp;I)…</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>&amp;Export all conversations…</source>
        <translation>导出所有对话(&amp;E)…</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>&amp;Settings…</source>
        <translation>设置(&amp;S)…</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>&amp;Quit</source>
        <translation>退出(&amp;Q)</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>&amp;Chat</source>
        <translation>对话(&amp;C)</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>&amp;Regenerate reply</source>
        <translation>重新生成回复(&amp;R)</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>C&amp;ontinue reply</source>
        <translation>继续回复(&amp;O)</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>&amp;Stop</source>
        <translation>停止(&amp;S)</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Chat s&amp;ettings…</source>
        <translation>对话设置(&amp;E)…</translation>
    </message>
    <message>
        <location line="+135"/>
        <source>Copy text</source>
        <translation>复制文本</translation>
    </message>
    <message>
        <location line="+58"/>
        <source>Editing your message: Send makes a new version from there (the original stays). Esc cancels.</source>
        <translation>正在编辑你的消息：发送后会从这里生成一个新版本（原来的会保留）。按 Esc 取消。</translation>
    </message>
    <message>
        <location line="+75"/>
        <source>Replies come from {model} on {server} ({host}): your messages are sent there.</source>
        <translation>回复来自 {server}（{host}）上的 {model}：你的消息会发送到那里。</translation>
    </message>
    <message>
        <location line="+9"/>
        <source>API requests: {n}</source>
        <translation>API 请求：{n}</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Hearth&apos;s API server is running at {address}</source>
        <translation>Hearth 的 API 服务器运行于 {address}</translation>
    </message>
    <message>
        <location line="+14"/>
        <source>{n} tokens</source>
        <translation>{n} token</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>not stated by the server</source>
        <translation>服务器未说明</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Server: {device}
Context: {context}
Prompt format: the server&apos;s own</source>
        <translation>服务器：{device}
上下文：{context}
提示格式：服务器自己的</translation>
    </message>
    <message>
        <location line="+8"/>
        <source>CPU kernels: built into llama.cpp</source>
        <translation>CPU 内核：内置于 llama.cpp</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>CPU kernels: {variant} (chosen for this CPU at start)</source>
        <translation>CPU 内核：{variant}（启动时为此 CPU 选定）</translation>
    </message>
    <message>
        <location line="-162"/>
        <source>Show the whole message…</source>
        <translation>显示完整消息…</translation>
    </message>
    <message>
        <location line="+17"/>
        <source>Regenerate</source>
        <translation>重新生成</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Continue</source>
        <translation>继续</translation>
    </message>
    <message>
        <location line="-18"/>
        <source>Message</source>
        <translation>消息</translation>
    </message>
    <message>
        <location line="-308"/>
        <source>Ask the servers for their models again</source>
        <translation>重新向服务器获取模型列表</translation>
    </message>
    <message>
        <location line="+133"/>
        <source>Searc&amp;h conversations…</source>
        <translation>搜索对话(&amp;H)…</translation>
    </message>
    <message>
        <location line="+130"/>
        <source>Markdown, the shown branch (*.md)</source>
        <translation>Markdown，当前显示的分支 (*.md)</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Hearth JSON, everything (*.json)</source>
        <translation>Hearth JSON，全部内容 (*.json)</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Export conversations</source>
        <translation>导出对话</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>Exported to {path}</source>
        <translation>已导出到 {path}</translation>
    </message>
    <message>
        <location line="+7"/>
        <source>Import conversations</source>
        <translation>导入对话</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Hearth or ChatGPT export (*.json *.zip);;All files (*)</source>
        <translation>Hearth 或 ChatGPT 导出文件 (*.json *.zip);;所有文件 (*)</translation>
    </message>
    <message numerus="yes">
        <location line="+6"/>
        <source>Imported %n conversation(s).</source>
        <translation>
            <numerusform>已导入 %n 个对话。</numerusform>
        </translation>
    </message>
    <message>
        <location line="+13"/>
        <source>Copy as Markdown</source>
        <translation>复制为 Markdown</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>Hide reasoning</source>
        <translation>隐藏推理过程</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Show reasoning</source>
        <translation>显示推理过程</translation>
    </message>
    <message>
        <location line="+10"/>
        <source>‹ Previous version ({n}/{count})</source>
        <translation>‹ 上一个版本（{n}/{count}）</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>Next version ({n}/{count}) ›</source>
        <translation>下一个版本（{n}/{count}）›</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Edit…</source>
        <translation>编辑…</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>Delete from here</source>
        <translation>从这里删除</translation>
    </message>
    <message>
        <location filename="../../desktop_app/ui/models/model_picker.py" line="+68"/>
        <source>No model yet</source>
        <translation>尚无模型</translation>
    </message>
    <message>
        <location filename="../../desktop_app/ui/main_window.py" line="+135"/>
        <source>Prompt format: {fmt}
Device: {device}
GPU layers: {layers}
Loaded in {s:.1f} s</source>
        <translation>提示词格式：{fmt}
设备：{device}
GPU 层数：{layers}
加载用时 {s:.1f} 秒</translation>
    </message>
</context>
<context>
    <name>McpServerDialog</name>
    <message>
        <location filename="../../desktop_app/ui/tools/mcp_server_dialog.py" line="+32"/>
        <source>Add an MCP server</source>
        <translation>添加 MCP 服务器</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>e.g. npx -y @modelcontextprotocol/server-memory</source>
        <translation>例如 npx -y @modelcontextprotocol/server-memory</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>NAME=value, one a line</source>
        <translation>名称=值，每行一个</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>or the URL of a running server: https://…/mcp</source>
        <translation>或正在运行的服务器的 URL：https://…/mcp</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Name</source>
        <translation>名称</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Command</source>
        <translation>命令</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Environment</source>
        <translation>环境变量</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>URL</source>
        <translation>URL</translation>
    </message>
    <message>
        <location line="+17"/>
        <source>Give the server a name.</source>
        <translation>请为服务器命名。</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>A server with this name exists already.</source>
        <translation>已有同名的服务器。</translation>
    </message>
    <message>
        <location line="+9"/>
        <source>The command is not valid: {e}</source>
        <translation>命令无效：{e}</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Type the command that starts the server, or its URL.</source>
        <translation>请输入启动服务器的命令，或其 URL。</translation>
    </message>
</context>
<context>
    <name>MessageActions</name>
    <message>
        <location filename="../../desktop_app/ui/chat/message_editor.py" line="+131"/>
        <source>Copy</source>
        <translation>复制</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Copy the message as text (Ctrl+C)</source>
        <translation>以文本形式复制消息 (Ctrl+C)</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Edit</source>
        <translation>编辑</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Put this message in the box to change and send it again</source>
        <translation>把这条消息放回输入框，修改后重新发送</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Regenerate</source>
        <translation>重新生成</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Write this reply again (Ctrl+R)</source>
        <translation>重新写这条回复 (Ctrl+R)</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Continue</source>
        <translation>继续</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Continue this reply where it stopped</source>
        <translation>从停止处继续这条回复</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>Previous version</source>
        <translation>上一个版本</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Previous version (Alt+Left)</source>
        <translation>上一个版本 (Alt+Left)</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Next version</source>
        <translation>下一个版本</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Next version (Alt+Right)</source>
        <translation>下一个版本 (Alt+Right)</translation>
    </message>
    <message>
        <location line="+88"/>
        <source>Version {n} of {count}</source>
        <translation>第 {n} 个版本，共 {count} 个</translation>
    </message>
</context>
<context>
    <name>MessageDelegate</name>
    <message>
        <location filename="../../desktop_app/ui/chat/message_delegate.py" line="+353"/>
        <location line="+10"/>
        <source>Copy</source>
        <translation>复制</translation>
    </message>
    <message>
        <location line="+53"/>
        <source>waiting for approval</source>
        <translation>等待批准</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>running…</source>
        <translation>运行中…</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>done</source>
        <translation>完成</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>denied</source>
        <translation>已拒绝</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>failed</source>
        <translation>失败</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Result</source>
        <translation>结果</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>{s:.1f} s</source>
        <translation>{s:.1f} 秒</translation>
    </message>
    <message>
        <location line="+16"/>
        <source>Sources ({n})</source>
        <translation>来源（{n}）</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>not given to the model (no room)</source>
        <translation>未提供给模型（空间不足）</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>score {score:.2f}</source>
        <translation>得分 {score:.2f}</translation>
    </message>
    <message>
        <location line="+71"/>
        <source>Long message: {shown} of {total} characters shown. Right-click › Show the whole message.</source>
        <translation>长消息：已显示 {total} 个字符中的 {shown} 个。右键 › 显示完整消息。</translation>
    </message>
    <message>
        <location line="+33"/>
        <source>Thinking… ({n} words)</source>
        <translation>思考中…（{n} 词）</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>▾ Reasoning, {n} words</source>
        <translation>▾ 推理过程，{n} 个词</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>▸ Reasoning, {n} words</source>
        <translation>▸ 推理过程，{n} 个词</translation>
    </message>
</context>
<context>
    <name>ModelController</name>
    <message>
        <location filename="../../desktop_app/ui/models/model_controller.py" line="+173"/>
        <source>That model is no longer in the library.</source>
        <translation>该模型已不在模型库中。</translation>
    </message>
    <message>
        <location line="+13"/>
        <source>Loading {name}…</source>
        <translation>正在加载 {name}…</translation>
    </message>
    <message>
        <location line="-25"/>
        <source>Preparing the starter model…</source>
        <translation>正在准备入门模型…</translation>
    </message>
    <message>
        <location line="-48"/>
        <source>{model} — {server}</source>
        <translation>{model} — {server}</translation>
    </message>
    <message>
        <location line="+84"/>
        <source>The server of “{model}” is no longer in Settings › Servers (or is turned off), so a local model is used.</source>
        <translation>“{model}”所在的服务器已不在“设置 › 服务器”中（或已关闭），因此改用本地模型。</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Offline mode is on: “{model}” on {server} is not used, because Hearth does not connect to other computers. Turn offline mode off in Settings to use it.</source>
        <translation>离线模式已开启：不会使用 {server} 上的“{model}”，因为 Hearth 不连接其他电脑。要使用它，请在设置中关闭离线模式。</translation>
    </message>
    <message>
        <location line="+23"/>
        <source>Connecting to {server} for {model}…</source>
        <translation>正在连接 {server} 以使用 {model}…</translation>
    </message>
    <message>
        <location line="+47"/>
        <source>The starter model could not be prepared: {e}</source>
        <translation>无法准备入门模型：{e}</translation>
    </message>
    <message>
        <location line="+7"/>
        <source>Ready · {model} on {server}</source>
        <translation>就绪 · {server} 上的 {model}</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>Ready · {backend} · {ctx} tokens of context</source>
        <translation>就绪 · {backend} · 上下文 {ctx} token</translation>
    </message>
    <message>
        <location line="+22"/>
        <source>The engine stopped · {name} is loaded again with your next message</source>
        <translation>引擎已停止 · 发送下一条消息时会重新加载 {name}</translation>
    </message>
    <message>
        <location line="+10"/>
        <source>The engine was restarted · loading {name} again…</source>
        <translation>引擎已重启 · 正在重新加载 {name}…</translation>
    </message>
</context>
<context>
    <name>ModelPicker</name>
    <message>
        <location filename="../../desktop_app/ui/models/model_picker.py" line="+10"/>
        <source>{server}: no models</source>
        <translation>{server}：没有模型</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>The server answered but lists no models.</source>
        <translation>服务器有响应，但没有列出任何模型。</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>{server}: asking for its models…</source>
        <translation>{server}：正在获取模型列表…</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Waiting for the server&apos;s answer.</source>
        <translation>正在等待服务器响应。</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>{server}: offline mode</source>
        <translation>{server}：离线模式</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Offline mode is on: Hearth does not contact remote servers. Turn it off in Settings › General to use them.</source>
        <translation>离线模式已开启：Hearth 不联系远程服务器。要使用它们，请在“设置 › 常规”中关闭离线模式。</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>{server}: not reachable</source>
        <translation>{server}：无法连接</translation>
    </message>
    <message>
        <location line="+7"/>
        <source>{model} — {server}</source>
        <translation>{model} — {server}</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>On {server} ({host}): your messages are sent there.</source>
        <translation>位于 {server}（{host}）：你的消息会发送到那里。</translation>
    </message>
</context>
<context>
    <name>ModelSettingsForm</name>
    <message>
        <location filename="../../desktop_app/ui/settings/model_settings_form.py" line="+82"/>
        <location line="+17"/>
        <source>Auto</source>
        <translation>自动</translation>
    </message>
    <message>
        <location line="-15"/>
        <source>How many tokens of the conversation the model sees at once. Longer contexts use more memory. Auto picks a size that fits in this computer&apos;s memory.</source>
        <translation>模型一次能看到的对话 token 数。上下文越长，占用内存越多。“自动”会选择适合本机内存的大小。</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Trained maximum: unknown</source>
        <translation>训练上限：未知</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Trained maximum: {n} tokens</source>
        <translation>训练上限：{n} 个 token</translation>
    </message>
    <message>
        <location line="+10"/>
        <source>CPU only</source>
        <translation>仅 CPU</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Number of layers</source>
        <translation>指定层数</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Auto puts every layer on the GPU if it fits and uses the CPU otherwise. A number puts that many layers on the GPU and the rest on the CPU.</source>
        <translation>“自动”在显存足够时把所有层放到 GPU 上，否则使用 CPU。指定层数则把相应数量的层放到 GPU 上，其余留在 CPU。</translation>
    </message>
    <message>
        <location line="+10"/>
        <source>Auto (physical cores)</source>
        <translation>自动（物理核心）</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>CPU threads for generating text. More threads than physical cores is usually slower.</source>
        <translation>生成文本所用的 CPU 线程数。线程数超过物理核心数通常反而更慢。</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>Tokens processed per step when reading the prompt. Larger is faster on a GPU and uses more memory.</source>
        <translation>读取提示词时每步处理的 token 数。数值越大，在 GPU 上越快，但占用内存越多。</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Use flash attention</source>
        <translation>使用 Flash Attention</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Faster and lighter on memory on most hardware. Needed for a compressed KV cache.</source>
        <translation>在大多数硬件上更快、更省内存。使用压缩的 KV 缓存时必须开启。</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>f16 (full precision)</source>
        <translation>f16（全精度）</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>q8_0 (half the memory)</source>
        <translation>q8_0（内存减半）</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>q4_0 (a quarter of the memory, lower quality)</source>
        <translation>q4_0（四分之一内存，质量较低）</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>How the model&apos;s memory of the conversation is stored. Compressed types let a longer context fit, at some cost in quality.</source>
        <translation>模型存储对话记忆的方式。压缩类型能容纳更长的上下文，但会损失一些质量。</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>Model&apos;s template</source>
        <translation>模型自带的模板</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Built-in for the architecture</source>
        <translation>按架构内置的格式</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>How the conversation is written out for the model. The model&apos;s own chat template is usually right; choose the built-in format if the template fails.</source>
        <translation>对话以何种格式写给模型。通常模型自带的聊天模板是正确的；如果模板出错，请选择内置格式。</translation>
    </message>
    <message>
        <location line="+3"/>
        <source> s</source>
        <translation> 秒</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>If the engine gives no sign of life for this long while it loads the model or writes a reply, Hearth restarts it. The text shown so far is kept.</source>
        <translation>如果引擎在加载模型或生成回复时这么长时间没有任何响应，Hearth 会重启它。已显示的文字会保留。</translation>
    </message>
    <message>
        <location line="+9"/>
        <source>Changes apply the next time the model is loaded.</source>
        <translation>更改将在下次加载模型时生效。</translation>
    </message>
    <message>
        <location line="+7"/>
        <source>Context length:</source>
        <translation>上下文长度：</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>GPU layers:</source>
        <translation>GPU 层数：</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>CPU threads:</source>
        <translation>CPU 线程数：</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Batch size:</source>
        <translation>批处理大小：</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>KV cache type:</source>
        <translation>KV 缓存类型：</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Prompt format:</source>
        <translation>提示格式：</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Restart a silent engine after:</source>
        <translation>引擎无响应多久后重启：</translation>
    </message>
    <message>
        <location line="+24"/>
        <location line="+66"/>
        <source>Context length</source>
        <translation>上下文长度</translation>
    </message>
    <message>
        <location line="-65"/>
        <location line="+66"/>
        <source>GPU layers</source>
        <translation>GPU 层数</translation>
    </message>
    <message>
        <location line="-65"/>
        <location line="+66"/>
        <source>CPU threads</source>
        <translation>CPU 线程数</translation>
    </message>
    <message>
        <location line="-65"/>
        <location line="+66"/>
        <source>Batch size</source>
        <translation>批处理大小</translation>
    </message>
    <message>
        <location line="-65"/>
        <location line="+66"/>
        <source>Engine watchdog</source>
        <translation>引擎看门狗</translation>
    </message>
    <message>
        <location line="-64"/>
        <source>{name} must be a number from {low} to {high}.</source>
        <translation>{name}必须是 {low} 到 {high} 之间的数字。</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>Context length must be Auto or at least {min} tokens.</source>
        <translation>上下文长度必须为“自动”或至少 {min} 个 token。</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Context length {n} is longer than this model was trained for ({max} tokens). Choose {max} or less, or Auto.</source>
        <translation>上下文长度 {n} 超出了该模型的训练长度（{max} 个 token）。请选择不超过 {max} 的值，或选择“自动”。</translation>
    </message>
    <message>
        <location line="+9"/>
        <source>A {type} KV cache needs flash attention. Turn on flash attention or choose f16.</source>
        <translation>{type} KV 缓存需要 Flash Attention。请开启 Flash Attention 或选择 f16。</translation>
    </message>
    <message>
        <location line="+40"/>
        <source>{name} must be from {low} to {high}, got {value}.</source>
        <translation>{name}必须在 {low} 到 {high} 之间，当前为 {value}。</translation>
    </message>
    <message>
        <location line="+10"/>
        <source>KV cache type must be one of {types}, got {value!r}.</source>
        <translation>KV 缓存类型必须是 {types} 之一，当前为 {value!r}。</translation>
    </message>
</context>
<context>
    <name>ModelsPage</name>
    <message>
        <location filename="../../desktop_app/ui/models/models_page.py" line="+55"/>
        <source>Models</source>
        <translation>模型</translation>
    </message>
    <message>
        <location line="+13"/>
        <source>Recommended</source>
        <translation>推荐</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Search Hugging Face</source>
        <translation>搜索 Hugging Face</translation>
    </message>
    <message>
        <location line="+1"/>
        <location line="+68"/>
        <source>Downloads</source>
        <translation>下载</translation>
    </message>
    <message>
        <location line="-67"/>
        <source>On this computer</source>
        <translation>本机模型</translation>
    </message>
    <message>
        <location line="+34"/>
        <source>{file} is already downloaded.</source>
        <translation>{file} 已下载。</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Downloading {file}: see the Downloads tab.</source>
        <translation>正在下载 {file}，请查看“下载”标签页。</translation>
    </message>
    <message>
        <location line="+31"/>
        <source>Downloads ({n})</source>
        <translation>下载 ({n})</translation>
    </message>
</context>
<context>
    <name>RecommendedTab</name>
    <message>
        <location filename="../../desktop_app/ui/models/recommended_tab.py" line="+39"/>
        <source>Good chat models to start with, from small and fast to large and capable. “Fit” compares each with this computer&apos;s free memory.</source>
        <translation>适合入门的聊天模型，从小而快到大而强。“适配”一栏将每个模型与本机的空闲内存进行比较。</translation>
    </message>
    <message>
        <location line="+6"/>
        <location line="+25"/>
        <location line="+9"/>
        <source>Download</source>
        <translation>下载</translation>
    </message>
    <message>
        <location line="-10"/>
        <source>Choose a model to see what it is good for.</source>
        <translation>选择一个模型，查看它擅长什么。</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>&lt;b&gt;{name}&lt;/b&gt; · {params} parameters · {size} · licence {licence}&lt;br&gt;{text}</source>
        <translation>&lt;b&gt;{name}&lt;/b&gt; · {params} 参数 · {size} · 许可证 {licence}&lt;br&gt;{text}</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>Use</source>
        <translation>使用</translation>
    </message>
    <message>
        <location line="+9"/>
        <source>Loading {name}…</source>
        <translation>正在加载 {name}…</translation>
    </message>
</context>
<context>
    <name>ReplyStats</name>
    <message>
        <location filename="../../desktop_app/ui/chat/message_delegate.py" line="-393"/>
        <source>{n} tokens</source>
        <translation>{n} 个 token</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>{v:.1f} tok/s</source>
        <translation>{v:.1f} token/秒</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>first token {v:.2f} s</source>
        <translation>首 token {v:.2f} 秒</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>{a} of {d} drafted tokens accepted</source>
        <translation>预测的 {d} 个 token 中接受了 {a} 个</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>stopped at the length limit</source>
        <translation>已达长度上限</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>stopped</source>
        <translation>已停止</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>interrupted</source>
        <translation>已中断</translation>
    </message>
</context>
<context>
    <name>RepoFilesModel</name>
    <message>
        <location filename="../../desktop_app/ui/models/hub_models.py" line="+122"/>
        <source>Quantization</source>
        <translation>量化</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Size</source>
        <translation>大小</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Fit</source>
        <translation>适配</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>File</source>
        <translation>文件</translation>
    </message>
    <message>
        <location line="+32"/>
        <source>{fit} · recommended</source>
        <translation>{fit} · 推荐</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>{count} parts, downloaded together</source>
        <translation>共 {count} 个分片，将一起下载</translation>
    </message>
    <message>
        <location line="+7"/>
        <source>unknown</source>
        <translation>未知</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Incomplete on Hugging Face (parts missing)</source>
        <translation>Hugging Face 上不完整（缺少分片）</translation>
    </message>
    <message>
        <location line="+1"/>
        <source> (+{n} parts)</source>
        <translation>（另有 {n} 个分片）</translation>
    </message>
</context>
<context>
    <name>RetrievalBox</name>
    <message>
        <location filename="../../desktop_app/ui/documents/retrieval_box.py" line="+30"/>
        <source>Test retrieval</source>
        <translation>测试检索</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>Ask a question to see which passages would be given to the model</source>
        <translation>输入问题，查看哪些段落会提供给模型</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>By meaning</source>
        <translation>按语义</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>By keywords</source>
        <translation>按关键词</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Both (fused)</source>
        <translation>两者结合</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>By meaning finds passages in any language; keywords find exact words and numbers in the question&apos;s language. Chats search by meaning.</source>
        <translation>按语义可以找到任何语言的段落；按关键词只找与问题同一语言中的确切词语和数字。对话中按语义搜索。</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Search</source>
        <translation>搜索</translation>
    </message>
    <message>
        <location line="+31"/>
        <source>Searching…</source>
        <translation>正在搜索…</translation>
    </message>
    <message numerus="yes">
        <location line="+10"/>
        <source>%n passage(s) found.</source>
        <translation>
            <numerusform>找到 %n 个段落。</numerusform>
        </translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Nothing found: is the collection indexed?</source>
        <translation>没有找到：文档集是否已建立索引？</translation>
    </message>
</context>
<context>
    <name>SamplingForm</name>
    <message>
        <location filename="../../desktop_app/ui/settings/sampling_form.py" line="+43"/>
        <source>Balanced</source>
        <translation>均衡</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Precise</source>
        <translation>精确</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Creative</source>
        <translation>创意</translation>
    </message>
    <message>
        <location line="+101"/>
        <source>Custom</source>
        <translation>自定义</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>Randomness. Low values give focused, repeatable replies; high values more variety. 0 always picks the most likely word.</source>
        <translation>随机性。较低的值让回复更集中、更可复现；较高的值带来更多变化。为 0 时总是选择最可能的词。</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Off</source>
        <translation>关闭</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Choose only among the k most likely words. 0: off.</source>
        <translation>只从最可能的 k 个词中选择。0：关闭。</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Choose only among the most likely words that together reach this probability. 1: off.</source>
        <translation>只从累计概率达到此值的最可能的词中选择。1：关闭。</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>Leave out words less likely than this fraction of the most likely word. 0: off.</source>
        <translation>排除概率低于最可能词的这一比例的词。0：关闭。</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Above 1 makes repeating recent words less likely. 1: off.</source>
        <translation>大于 1 时降低重复近期词语的可能性。1：关闭。</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>The longest reply, in tokens. A reply that reaches it can be continued.</source>
        <translation>回复的最大长度（token 数）。达到上限的回复可以继续生成。</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Random seed</source>
        <translation>随机种子</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>A new seed for every reply. Untick it and fix a seed for reproducible replies.</source>
        <translation>每次回复使用新的种子。取消勾选并固定种子，可得到可复现的回复。</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>Fix it for reproducible replies: the same seed, settings and conversation give the same reply.</source>
        <translation>固定种子以复现回复：相同的种子、设置和对话会得到相同的回复。</translation>
    </message>
    <message>
        <location line="+11"/>
        <source>One per line, e.g. \nUser:</source>
        <translation>每行一个，例如 \nUser:</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>The reply ends when the model writes one of these. One per line; write \n for a line break and \t for a tab. Blank lines are ignored.</source>
        <translation>模型输出其中任意一个时，回复即结束。每行一个；用 \n 表示换行，用 \t 表示制表符。空行会被忽略。</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>Draft tokens ahead</source>
        <translation>提前预测 token</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Guesses the next few tokens from the conversation and its documents and lets the model check the guesses all at once. Replies that quote or copy text they were given come faster; other replies cost about 2 % more. The model still picks every word: on the CPU the reply is exactly the one you get without it (on a GPU it can differ slightly). Turns itself off during a reply when guessing does not pay.</source>
        <translation>根据对话及其文档猜测接下来的几个 token，并让模型一次性核对这些猜测。引用或照抄给定文本的回复会更快；其他回复约慢 2%。每个词仍由模型自己选择：在 CPU 上，回复与不开启时完全相同（在 GPU 上可能略有差异）。如果猜测在某次回复中不划算，会自动停止。</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>Guess with a smaller model</source>
        <translation>用更小的模型猜测</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Guesses with the smallest installed model of the same family instead, when there is one. It is a second model in memory, and on the CPU it is usually slower than guessing from the conversation.</source>
        <translation>改用已安装的同系列最小模型来猜测（如果有的话）。它会在内存中多占一个模型，而且在 CPU 上通常比根据对话猜测更慢。</translation>
    </message>
    <message>
        <location line="+14"/>
        <source>Preset:</source>
        <translation>预设：</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Temperature:</source>
        <translation>温度：</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Top-k:</source>
        <translation>Top-k：</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Top-p:</source>
        <translation>Top-p：</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Min-p:</source>
        <translation>Min-p：</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Repeat penalty:</source>
        <translation>重复惩罚：</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Max tokens:</source>
        <translation>最大 token 数：</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Seed:</source>
        <translation>种子：</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Stop strings:</source>
        <translation>停止序列：</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Speculative decoding:</source>
        <translation>推测解码：</translation>
    </message>
    <message>
        <location line="+35"/>
        <source>Enter a seed from 0 to {max}, or tick Random seed.</source>
        <translation>请输入 0 到 {max} 之间的种子，或勾选“随机种子”。</translation>
    </message>
    <message>
        <location line="+93"/>
        <source>Temperature</source>
        <translation>温度</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Top-k</source>
        <translation>Top-k</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Top-p</source>
        <translation>Top-p</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Min-p</source>
        <translation>Min-p</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Repeat penalty</source>
        <translation>重复惩罚</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Max tokens</source>
        <translation>最大 token 数</translation>
    </message>
    <message>
        <location line="+9"/>
        <source>{name} must be a number from {low} to {high}.</source>
        <translation>{name}必须是 {low} 到 {high} 之间的数字。</translation>
    </message>
</context>
<context>
    <name>SearchDialog</name>
    <message>
        <location filename="../../desktop_app/ui/chat/search_dialog.py" line="+157"/>
        <source>Search conversations</source>
        <translation>搜索对话</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Search titles and messages, e.g. 长城 or bread</source>
        <translation>搜索标题和消息，例如 长城 或 bread</translation>
    </message>
    <message>
        <location line="+31"/>
        <source>Nothing found.</source>
        <translation>未找到任何结果。</translation>
    </message>
    <message numerus="yes">
        <location line="+2"/>
        <source>%n result(s)</source>
        <translation>
            <numerusform>%n 个结果</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>SearchResultsModel</name>
    <message>
        <location filename="../../desktop_app/ui/models/hub_models.py" line="-89"/>
        <source>Repository</source>
        <translation>仓库</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Downloads</source>
        <translation>下载量</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Likes</source>
        <translation>点赞</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Updated</source>
        <translation>更新时间</translation>
    </message>
    <message>
        <location line="+11"/>
        <source>Gated: accept the licence on Hugging Face before downloading.</source>
        <translation>受限模型：下载前请先在 Hugging Face 上接受许可协议。</translation>
    </message>
    <message>
        <location line="+5"/>
        <source> (gated)</source>
        <translation>（受限）</translation>
    </message>
    <message>
        <location filename="../../desktop_app/ui/chat/search_dialog.py" line="-107"/>
        <source>New chat</source>
        <translation>新建对话</translation>
    </message>
</context>
<context>
    <name>SearchTab</name>
    <message>
        <location filename="../../desktop_app/ui/models/search_tab.py" line="+64"/>
        <source>Search GGUF models, e.g. “qwen3 4b”</source>
        <translation>搜索 GGUF 模型，例如“qwen3 4b”</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Most downloaded</source>
        <translation>下载最多</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Most liked</source>
        <translation>点赞最多</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Recently updated</source>
        <translation>最近更新</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Search</source>
        <translation>搜索</translation>
    </message>
    <message>
        <location line="+21"/>
        <source>Download</source>
        <translation>下载</translation>
    </message>
    <message>
        <location line="+54"/>
        <source>Searching…</source>
        <translation>正在搜索…</translation>
    </message>
    <message>
        <location line="+14"/>
        <source>No GGUF models found for “{query}”.</source>
        <translation>未找到与“{query}”相关的 GGUF 模型。</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>{n} repositories. Choose one to see its files.</source>
        <translation>共 {n} 个仓库。选择一个以查看其文件。</translation>
    </message>
    <message>
        <location line="+26"/>
        <source>Loading the file list…</source>
        <translation>正在加载文件列表…</translation>
    </message>
    <message>
        <location line="+28"/>
        <source>{n} parameters</source>
        <translation>{n} 参数</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>architecture {arch}</source>
        <translation>架构 {arch}</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>context {n} tokens</source>
        <translation>上下文 {n} token</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>licence {licence}</source>
        <translation>许可证 {licence}</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>not stated</source>
        <translation>未注明</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>This repository has no GGUF model files.</source>
        <translation>此仓库没有 GGUF 模型文件。</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>None of these files fits comfortably in this computer&apos;s free memory ({size}).</source>
        <translation>这些文件都无法轻松放入本机的空闲内存（{size}）。</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Recommended for this computer: {quant} ({size}).</source>
        <translation>推荐本机使用：{quant}（{size}）。</translation>
    </message>
    <message>
        <location line="+27"/>
        <source>Something went wrong: {error}</source>
        <translation>出现问题：{error}</translation>
    </message>
</context>
<context>
    <name>ServerDialog</name>
    <message>
        <location filename="../../desktop_app/ui/settings/server_dialog.py" line="+49"/>
        <source>Edit server</source>
        <translation>编辑服务器</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Add server</source>
        <translation>添加服务器</translation>
    </message>
    <message>
        <location line="+18"/>
        <source>Leave empty to keep the key in the system keyring</source>
        <translation>留空则保留系统密钥环中的密钥</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>None</source>
        <translation>无</translation>
    </message>
    <message>
        <location line="+2"/>
        <location line="+115"/>
        <source>Show</source>
        <translation>显示</translation>
    </message>
    <message>
        <location line="-107"/>
        <source>The system&apos;s certificates</source>
        <translation>系统证书</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Choose…</source>
        <translation>选择…</translation>
    </message>
    <message>
        <location line="+7"/>
        <source>None (e.g. http://proxy.example:3128)</source>
        <translation>无（例如 http://proxy.example:3128）</translation>
    </message>
    <message>
        <location line="+17"/>
        <source>Test connection</source>
        <translation>测试连接</translation>
    </message>
    <message>
        <location line="+7"/>
        <source>Kind:</source>
        <translation>类型：</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Name:</source>
        <translation>名称：</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Address:</source>
        <translation>地址：</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>API key:</source>
        <translation>API 密钥：</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>CA certificates:</source>
        <translation>CA 证书：</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Proxy:</source>
        <translation>代理：</translation>
    </message>
    <message>
        <location line="+59"/>
        <source>Needs an API key from {name}. Your messages are sent to its servers on the internet.</source>
        <translation>需要 {name} 的 API 密钥。你的消息会发送到它在互联网上的服务器。</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Usually runs on your own computer or network; a key is only needed if the server was started with one.</source>
        <translation>通常运行在你自己的电脑或网络中；只有服务器启动时设置了密钥才需要填写。</translation>
    </message>
    <message>
        <location line="+7"/>
        <source>Hide</source>
        <translation>隐藏</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>CA certificates</source>
        <translation>CA 证书</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>PEM certificates (*.pem *.crt *.cer);;All files (*)</source>
        <translation>PEM 证书 (*.pem *.crt *.cer);;所有文件 (*)</translation>
    </message>
</context>
<context>
    <name>ServersTab</name>
    <message>
        <location filename="../../desktop_app/ui/settings/servers_tab.py" line="+77"/>
        <source>Name</source>
        <translation>名称</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Kind</source>
        <translation>类型</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Address</source>
        <translation>地址</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Where</source>
        <translation>位置</translation>
    </message>
    <message>
        <location line="+7"/>
        <source>Add…</source>
        <translation>添加…</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Edit…</source>
        <translation>编辑…</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Remove</source>
        <translation>移除</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Test connection</source>
        <translation>测试连接</translation>
    </message>
    <message>
        <location line="+14"/>
        <source>Chat with models on other computers: your own GPU server (vLLM, SGLang, llama.cpp, Ollama, LM Studio) or a cloud service. API keys are kept in the system keyring, never in Hearth&apos;s settings file. Enabled servers&apos; models appear in the model list.</source>
        <translation>与其他电脑上的模型对话：你自己的 GPU 服务器（vLLM、SGLang、llama.cpp、Ollama、LM Studio）或云服务。API 密钥保存在系统密钥环中，绝不写入 Hearth 的设置文件。已启用服务器的模型会出现在模型列表中。</translation>
    </message>
    <message>
        <location line="+117"/>
        <source>Your computer or network</source>
        <translation>你的电脑或网络</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Internet</source>
        <translation>互联网</translation>
    </message>
    <message>
        <location line="+7"/>
        <source>Tick to list this server&apos;s models</source>
        <translation>勾选以列出此服务器的模型</translation>
    </message>
</context>
<context>
    <name>SettingsDialog</name>
    <message>
        <location filename="../../desktop_app/ui/settings/settings_dialog.py" line="+78"/>
        <source>Settings</source>
        <translation>设置</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>General</source>
        <translation>常规</translation>
    </message>
    <message>
        <location line="+1"/>
        <location line="+176"/>
        <source>Generation</source>
        <translation>生成</translation>
    </message>
    <message>
        <location line="-175"/>
        <source>Models</source>
        <translation>模型</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>Servers</source>
        <translation>服务器</translation>
    </message>
    <message>
        <location line="+4"/>
        <location line="+169"/>
        <source>API server</source>
        <translation>API 服务器</translation>
    </message>
    <message>
        <location line="-167"/>
        <source>Tools</source>
        <translation>工具</translation>
    </message>
    <message>
        <location line="+32"/>
        <source>System</source>
        <translation>跟随系统</translation>
    </message>
    <message>
        <location line="+11"/>
        <source>Follow the system</source>
        <translation>跟随系统</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Light</source>
        <translation>浅色</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Dark</source>
        <translation>深色</translation>
    </message>
    <message>
        <location line="+8"/>
        <source>Instructions every new conversation starts with, e.g. “You are a concise assistant.”</source>
        <translation>每个新对话开始时使用的指令，例如“你是一个简洁的助手。”</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Never connect to the internet</source>
        <translation>从不连接互联网</translation>
    </message>
    <message>
        <location line="+7"/>
        <source>Language:</source>
        <translation>语言：</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>A new language applies when Hearth restarts.</source>
        <translation>新语言将在 Hearth 重启后生效。</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Appearance:</source>
        <translation>外观：</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Default system prompt:</source>
        <translation>默认系统提示词：</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Offline mode:</source>
        <translation>离线模式：</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Turns off model search, downloads and remote servers. Chatting with models already on this computer never needs the internet.</source>
        <translation>关闭模型搜索、下载和远程服务器。与本机已有的模型对话从不需要联网。</translation>
    </message>
    <message>
        <location line="+9"/>
        <source>New conversations start with these settings. Each conversation can change its own in Chat settings.</source>
        <translation>新对话将使用这些设置。每个对话都可以在“对话设置”中单独修改。</translation>
    </message>
    <message>
        <location line="+26"/>
        <source>No models yet. Settings for a model appear here once it is downloaded or imported.</source>
        <translation>尚无模型。下载或导入模型后，其设置会显示在这里。</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>Model:</source>
        <translation>模型：</translation>
    </message>
    <message>
        <location line="+41"/>
        <source>Servers: {reason}</source>
        <translation>服务器：{reason}</translation>
    </message>
    <message>
        <location line="+22"/>
        <source>Models › {name}</source>
        <translation>模型 › {name}</translation>
    </message>
</context>
<context>
    <name>Sidebar</name>
    <message>
        <location filename="../../desktop_app/ui/chat/sidebar.py" line="+82"/>
        <source>New chat</source>
        <translation>新建对话</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Search conversations</source>
        <translation>搜索对话</translation>
    </message>
    <message>
        <location line="+91"/>
        <source>Move to folder</source>
        <translation>移到文件夹</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Folder (type a new name, or leave empty for none):</source>
        <translation>文件夹（输入新名称，或留空表示不放入文件夹）：</translation>
    </message>
    <message>
        <location line="+14"/>
        <source>Rename</source>
        <translation>重命名</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Unpin</source>
        <translation>取消置顶</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Pin</source>
        <translation>置顶</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Move to folder…</source>
        <translation>移到文件夹…</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Duplicate</source>
        <translation>复制对话</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Export…</source>
        <translation>导出…</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Delete</source>
        <translation>删除</translation>
    </message>
</context>
<context>
    <name>SourcePanel</name>
    <message>
        <location filename="../../desktop_app/ui/documents/source_panel.py" line="+58"/>
        <source>Close</source>
        <translation>关闭</translation>
    </message>
    <message>
        <location line="+19"/>
        <source>score {score:.2f}</source>
        <translation>得分 {score:.2f}</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>not given to the model</source>
        <translation>未提供给模型</translation>
    </message>
</context>
<context>
    <name>StartupProblems</name>
    <message>
        <location filename="../../desktop_app/ui/common/startup_problems.py" line="+61"/>
        <source>Hearth&apos;s chat history is damaged.</source>
        <translation>Hearth 的聊天记录已损坏。</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>The file where Hearth keeps its chat history belongs to another program, or is not a chat history.</source>
        <translation>Hearth 保存聊天记录的文件属于其他程序，或者不是聊天记录。</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>{detail}

Hearth can rename the file (it stays in {folder}, with the date in its name) and start a new, empty history. Nothing is deleted.</source>
        <translation>{detail}

Hearth 可以重命名该文件（它仍留在 {folder} 中，文件名带有日期），然后开始新的空白聊天记录。不会删除任何内容。</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>Move it aside and start a new history</source>
        <translation>将其移到一旁并开始新的聊天记录</translation>
    </message>
    <message>
        <location line="+3"/>
        <location line="+21"/>
        <source>Quit</source>
        <translation>退出</translation>
    </message>
    <message>
        <location line="-10"/>
        <source>This chat history was written by a newer version of Hearth.</source>
        <translation>此聊天记录由更新版本的 Hearth 写入。</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>{path} uses schema version {version}; this Hearth knows up to {known}. Update Hearth to keep using it. Until then Hearth can open it read-only: you can read your conversations, but sending is off and nothing is saved.</source>
        <translation>{path} 使用第 {version} 版数据结构；此 Hearth 最高只支持第 {known} 版。请更新 Hearth 以继续使用。在此之前，Hearth 可以只读方式打开它：你可以阅读对话，但无法发送，也不会保存任何内容。</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>Open read-only</source>
        <translation>以只读方式打开</translation>
    </message>
    <message>
        <location line="+11"/>
        <source>Hearth cannot write to its data folder.</source>
        <translation>Hearth 无法写入其数据文件夹。</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Folder: {folder}
Why: {reason}

Make the folder writable (check its permissions, free some disk space, or plug in the drive it is on), or start Hearth with the environment variable {env} set to a folder you can write to.</source>
        <translation>文件夹：{folder}
原因：{reason}

请让该文件夹可写（检查权限、释放磁盘空间，或接上它所在的驱动器），或者将环境变量 {env} 设置为一个可写的文件夹后再启动 Hearth。</translation>
    </message>
    <message>
        <location line="+11"/>
        <source>Another Hearth is using the data folder {folder}.</source>
        <translation>另一个 Hearth 正在使用数据文件夹 {folder}。</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>The data folder {folder} is in use by {owner} (process {pid}).</source>
        <translation>数据文件夹 {folder} 正被 {owner}（进程 {pid}）使用。</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>Wait for it to finish or close it, then start Hearth again.</source>
        <translation>请等待它完成或将其关闭，然后再次启动 Hearth。</translation>
    </message>
    <message>
        <location line="+58"/>
        <source>The old file was kept as {path}; Hearth started a new chat history.</source>
        <translation>旧文件已保留为 {path}；Hearth 已开始新的聊天记录。</translation>
    </message>
    <message>
        <location line="+12"/>
        <source>This chat history is from a newer version of Hearth and is open read-only: you can read your conversations, but sending is off and nothing is saved. Update Hearth to keep chatting.</source>
        <translation>此聊天记录来自更新版本的 Hearth，已以只读方式打开：你可以阅读对话，但无法发送，也不会保存任何内容。请更新 Hearth 以继续聊天。</translation>
    </message>
</context>
<context>
    <name>ToolsFeature</name>
    <message>
        <location filename="../../desktop_app/ui/tools/tools_feature.py" line="+166"/>
        <source>Tools</source>
        <translation>工具</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Let the model use tools in this chat (calculator, clock, your shared folders, MCP servers). Each call asks you first.</source>
        <translation>允许模型在此对话中使用工具（计算器、时钟、你共享的文件夹、MCP 服务器）。每次调用都会先征求你的同意。</translation>
    </message>
</context>
<context>
    <name>ToolsTab</name>
    <message>
        <location filename="../../desktop_app/ui/tools/tools_tab.py" line="+69"/>
        <source>Built-in tools</source>
        <translation>内置工具</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Calculator</source>
        <translation>计算器</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Date and time</source>
        <translation>日期和时间</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Search my documents</source>
        <translation>搜索我的文档</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Fetch web pages</source>
        <translation>获取网页</translation>
    </message>
    <message>
        <location line="+10"/>
        <source>Hearth is in offline mode.</source>
        <translation>Hearth 处于离线模式。</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Shared folders (the model may list and read text files in them):</source>
        <translation>共享文件夹（模型可以列出并读取其中的文本文件）：</translation>
    </message>
    <message>
        <location line="+7"/>
        <source>Add folder…</source>
        <translation>添加文件夹…</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Remove folder</source>
        <translation>移除文件夹</translation>
    </message>
    <message>
        <location line="+8"/>
        <source>MCP servers</source>
        <translation>MCP 服务器</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>Server or tool</source>
        <translation>服务器或工具</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>State</source>
        <translation>状态</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>Add…</source>
        <translation>添加…</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Import file…</source>
        <translation>导入文件…</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Paste JSON…</source>
        <translation>粘贴 JSON…</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Remove</source>
        <translation>移除</translation>
    </message>
    <message>
        <location line="+17"/>
        <source> tokens</source>
        <translation> token</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Tool descriptions may take</source>
        <translation>工具说明最多占用</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>Ask again</source>
        <translation>重新询问</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Run without asking</source>
        <translation>无需询问即可运行</translation>
    </message>
    <message numerus="yes">
        <location line="+48"/>
        <source>%n server(s) with a name already in the list were skipped.</source>
        <translation>
            <numerusform>已跳过 %n 个与列表中名称相同的服务器。</numerusform>
        </translation>
    </message>
    <message>
        <location line="+55"/>
        <source>off</source>
        <translation>关闭</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>stopped</source>
        <translation>已停止</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>starting…</source>
        <translation>启动中…</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>ready</source>
        <translation>就绪</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>failed</source>
        <translation>失败</translation>
    </message>
    <message>
        <location line="+28"/>
        <source>Import MCP servers</source>
        <translation>导入 MCP 服务器</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>JSON files (*.json);;All files (*)</source>
        <translation>JSON 文件 (*.json);;所有文件 (*)</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>Could not read the file: {e}</source>
        <translation>无法读取文件：{e}</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>Paste MCP servers</source>
        <translation>粘贴 MCP 服务器</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Paste an “mcpServers” JSON (Claude Desktop, Cursor):</source>
        <translation>粘贴“mcpServers”JSON（Claude Desktop、Cursor）：</translation>
    </message>
    <message>
        <location line="+17"/>
        <source>Share a folder with the model</source>
        <translation>与模型共享文件夹</translation>
    </message>
    <message>
        <location line="+18"/>
        <source>The model is offered {n} tools in {tokens} tokens (all of them, in full: {full}).</source>
        <translation>向模型提供 {n} 个工具，占用 {tokens} 个 token（全部完整提供需 {full} 个）。</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>Left out: {names}.</source>
        <translation>未提供：{names}。</translation>
    </message>
</context>
<context>
    <name>UndoBar</name>
    <message>
        <location filename="../../desktop_app/ui/chat/sidebar.py" line="-155"/>
        <source>Undo</source>
        <translation>撤销</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>Dismiss</source>
        <translation>关闭</translation>
    </message>
</context>
<context>
    <name>WelcomePanel</name>
    <message>
        <location filename="../../desktop_app/ui/chat/welcome.py" line="+63"/>
        <source>Welcome to Hearth</source>
        <translation>欢迎使用 Hearth</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Chat with AI models that run on this computer. No account, no cloud: nothing you write leaves it.</source>
        <translation>与在这台电脑上运行的 AI 模型聊天。无需账号，不用云端：你写的任何内容都不会离开这台电脑。</translation>
    </message>
    <message>
        <location line="+17"/>
        <source>For better answers, download a model that fits this computer:</source>
        <translation>想要更好的回答，请下载一个适合这台电脑的模型：</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>See all models…</source>
        <translation>查看所有模型…</translation>
    </message>
    <message>
        <location line="+35"/>
        <source>What is the capital of France?</source>
        <translation>法国的首都是哪里？</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Write a Python function that reverses a string.</source>
        <translation>写一个反转字符串的 Python 函数。</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Give me three tips for a good night&apos;s sleep.</source>
        <translation>给我三个睡个好觉的建议。</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>Choose a model to start chatting.</source>
        <translation>选择一个模型开始聊天。</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>{name} is ready to try: a tiny starter model that only speaks English and knows little. Try one of these:</source>
        <translation>{name} 已可试用：这是一个很小的入门模型，只会英语，知识有限。试试这些：</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>{name} is ready. Ask anything, or try one of these:</source>
        <translation>{name} 已就绪。随便问，或者试试这些：</translation>
    </message>
    <message>
        <location line="+20"/>
        <source>Download</source>
        <translation>下载</translation>
    </message>
</context>
<context>
    <name>core</name>
    <message>
        <location filename="../../desktop_app/core/models/download.py" line="+193"/>
        <source>Refusing the file name {file}: it is not a plain path inside the repository.</source>
        <translation>拒绝文件名 {file}：它不是仓库内的普通路径。</translation>
    </message>
    <message>
        <location line="+157"/>
        <source>{file} downloaded and matched its checksum, but it is not a usable model: {reason}</source>
        <translation>{file} 已下载且校验和一致，但它不是可用的模型：{reason}</translation>
    </message>
    <message>
        <location line="+30"/>
        <source>Hugging Face did not say how large {file} is; it cannot be verified.</source>
        <translation>Hugging Face 未提供 {file} 的大小，无法校验。</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>Hugging Face lists {file} as {listed} bytes but serves {served}; the repository may be changing, try again later.</source>
        <translation>Hugging Face 列出的 {file} 为 {listed} 字节，实际提供 {served} 字节；仓库可能正在更新，请稍后再试。</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>Hugging Face lists no checksum for {file}; it cannot be verified.</source>
        <translation>Hugging Face 没有列出 {file} 的校验和，无法校验。</translation>
    </message>
    <message>
        <location line="+63"/>
        <source>The download of {file} was interrupted at {done} of {total}; the partial file is kept, download it again to resume.</source>
        <translation>{file} 的下载在 {done}/{total} 处中断；已保留未完成的文件，再次下载即可续传。</translation>
    </message>
    <message>
        <location line="+27"/>
        <location filename="../../desktop_app/core/models/hub.py" line="+179"/>
        <source>Could not reach {host}: {reason}.</source>
        <translation>无法连接 {host}：{reason}。</translation>
    </message>
    <message>
        <location line="+9"/>
        <source>The server resumed {file} at the wrong place; download it again.</source>
        <translation>服务器从错误的位置续传了 {file}；请重新下载。</translation>
    </message>
    <message>
        <location line="+27"/>
        <source>The disk is full ({folder}); {done} of {file} are kept. Free some space and download it again to resume.</source>
        <translation>磁盘已满（{folder}）；已保留 {file} 的 {done}。请释放一些空间，然后再次下载以续传。</translation>
    </message>
    <message>
        <location line="+25"/>
        <source>{file} is corrupted: its checksum does not match the one Hugging Face lists, so the downloaded bytes were deleted. Download it again.</source>
        <translation>{file} 已损坏：校验和与 Hugging Face 列出的不一致，已删除下载的数据。请重新下载。</translation>
    </message>
    <message>
        <location line="+31"/>
        <source>Refusing {file}: it leads outside the models folder.</source>
        <translation>拒绝 {file}：它指向模型文件夹之外。</translation>
    </message>
    <message>
        <location line="+50"/>
        <source>Not enough free disk space in {folder}: the download needs {needed} and {free} are free.</source>
        <translation>{folder} 的可用磁盘空间不足：下载需要 {needed}，可用 {free}。</translation>
    </message>
    <message>
        <location line="+15"/>
        <source>The server refused to resume {file}; download it again.</source>
        <translation>服务器拒绝续传 {file}；请重新下载。</translation>
    </message>
    <message>
        <location filename="../../desktop_app/core/models/hub.py" line="-131"/>
        <source>Hearth is in offline mode (setting or HF_HUB_OFFLINE=1): Hugging Face was not contacted.</source>
        <translation>Hearth 处于离线模式（设置或 HF_HUB_OFFLINE=1）：未连接 Hugging Face。</translation>
    </message>
    <message>
        <location line="+17"/>
        <source>{repo} is a gated model: accept the licence on the model&apos;s page on huggingface.co/{repo} and log in (huggingface-cli login, or set HF_TOKEN).</source>
        <translation>{repo} 是受限模型：请在 huggingface.co/{repo} 的模型页面上接受许可协议并登录（huggingface-cli login，或设置 HF_TOKEN）。</translation>
    </message>
    <message>
        <location line="+12"/>
        <source>Hugging Face is rate limiting requests; try again in {seconds} seconds.</source>
        <translation>Hugging Face 正在限制请求频率；请在 {seconds} 秒后重试。</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Hugging Face is rate limiting requests; try again later.</source>
        <translation>Hugging Face 正在限制请求频率；请稍后重试。</translation>
    </message>
    <message>
        <location line="+56"/>
        <source>{what} was not found on Hugging Face.</source>
        <translation>在 Hugging Face 上找不到 {what}。</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>{what} was not found on Hugging Face, or it is private (log in with huggingface-cli login or set HF_TOKEN).</source>
        <translation>在 Hugging Face 上找不到 {what}，或者它是私有的（请用 huggingface-cli login 登录或设置 HF_TOKEN）。</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>Hugging Face answered {status} (server error); try again later.</source>
        <translation>Hugging Face 返回 {status}（服务器错误）；请稍后重试。</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Hugging Face answered {status} for {what}.</source>
        <translation>Hugging Face 对 {what} 返回了 {status}。</translation>
    </message>
    <message>
        <location line="+74"/>
        <source>{repo} has no file named {file}.</source>
        <translation>{repo} 中没有名为 {file} 的文件。</translation>
    </message>
    <message>
        <location line="+121"/>
        <source>{repo} is not a Hugging Face repository id (owner/name).</source>
        <translation>{repo} 不是 Hugging Face 仓库 ID（所有者/名称）。</translation>
    </message>
    <message>
        <location filename="../../desktop_app/core/storage/importers.py" line="+52"/>
        <source>{path} could not be imported, nothing was: {detail}</source>
        <translation>{path} 无法导入，未导入任何内容：{detail}</translation>
    </message>
    <message>
        <location line="+28"/>
        <source>{path} is neither a Hearth export nor a ChatGPT export (conversations.json); nothing was imported.</source>
        <translation>{path} 既不是 Hearth 导出文件，也不是 ChatGPT 导出文件（conversations.json）；未导入任何内容。</translation>
    </message>
    <message>
        <location line="+19"/>
        <source>{path} could not be read: {reason}</source>
        <translation>无法读取 {path}：{reason}</translation>
    </message>
    <message>
        <location line="+33"/>
        <source>{path} was exported by a newer Hearth (format {version}); update Hearth to import it. Nothing was imported.</source>
        <translation>{path} 由更新版本的 Hearth 导出（格式 {version}）；请更新 Hearth 后再导入。未导入任何内容。</translation>
    </message>
    <message>
        <location filename="../../desktop_app/core/engine/api.py" line="+23"/>
        <source>No model is loaded. Choose a model first.</source>
        <translation>尚未加载模型。请先选择一个模型。</translation>
    </message>
    <message>
        <location filename="../../desktop_app/core/engine/loader.py" line="+117"/>
        <source>This build of llama.cpp has no GPU support; running on the CPU.</source>
        <translation>此 llama.cpp 构建不支持 GPU，正在 CPU 上运行。</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>Auto: this build of llama.cpp has no GPU support, so the CPU is used.</source>
        <translation>自动：此 llama.cpp 构建不支持 GPU，因此使用 CPU。</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Auto: no GPU was found, so the CPU is used.</source>
        <translation>自动：未找到 GPU，因此使用 CPU。</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Auto: the model needs about {needed} GB but the GPU has {free} GB free, so the CPU is used.</source>
        <translation>自动：模型约需 {needed} GB，但 GPU 只有 {free} GB 可用，因此使用 CPU。</translation>
    </message>
    <message>
        <location line="+8"/>
        <source>llama.cpp could not load {name}: {reason}</source>
        <translation>llama.cpp 无法加载 {name}：{reason}</translation>
    </message>
    <message>
        <location line="+17"/>
        <source>The model file {path} does not exist.</source>
        <translation>模型文件 {path} 不存在。</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>The model file {path} could not be read: {reason}.</source>
        <translation>无法读取模型文件 {path}：{reason}。</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>{file} cannot be loaded: {reason}</source>
        <translation>无法加载 {file}：{reason}</translation>
    </message>
    <message>
        <location line="+48"/>
        <source>Loading on the GPU failed, so the model runs on the CPU.</source>
        <translation>在 GPU 上加载失败，因此模型在 CPU 上运行。</translation>
    </message>
    <message>
        <location filename="../../desktop_app/core/engine/process.py" line="+66"/>
        <source>This model&apos;s chat template is the likely cause, and it would do the same again: choose the built-in prompt format in the model&apos;s settings.</source>
        <translation>原因很可能是这个模型的聊天模板，再试也会一样：请在模型设置中选择内置提示格式。</translation>
    </message>
    <message>
        <location line="+8"/>
        <source>stopped responding</source>
        <translation>停止了响应</translation>
    </message>
    <message>
        <location line="+7"/>
        <source>was terminated by {signal} — possibly killed by the system for lack of memory</source>
        <translation>被 {signal} 终止——可能因内存不足被系统结束</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>was terminated by {signal} — a crash inside llama.cpp</source>
        <translation>被 {signal} 终止——llama.cpp 内部崩溃</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>was terminated by {signal} — llama.cpp aborted</source>
        <translation>被 {signal} 终止——llama.cpp 中止运行</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>was terminated by {signal}</source>
        <translation>被 {signal} 终止</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>exited unexpectedly with code {code}</source>
        <translation>意外退出，退出码 {code}</translation>
    </message>
    <message>
        <location line="+129"/>
        <source>while it rendered this model&apos;s chat template</source>
        <translation>（在渲染这个模型的聊天模板时）</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Everything up to the crash is saved. {advice}</source>
        <translation>崩溃之前的所有内容都已保存。{advice}</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>while generating a reply</source>
        <translation>（在生成回复时）</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>while idle or loading</source>
        <translation>（在空闲或加载时）</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Everything up to the crash is saved; the model will be loaded again when you send the next message.</source>
        <translation>崩溃之前的所有内容都已保存；发送下一条消息时会重新加载模型。</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>The engine process {cause} {doing}. {then}</source>
        <translation>引擎进程{doing}{cause}。{then}</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>{message} llama.cpp&apos;s last message: {line}</source>
        <translation>{message} llama.cpp 的最后一条消息：{line}</translation>
    </message>
    <message>
        <location line="+22"/>
        <source>did not stop within {seconds} s after Stop</source>
        <translation>在按下停止后 {seconds} 秒内没有停下</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>was suspended (stopped by a signal or a debugger) and gave no sign of life for {seconds} s</source>
        <translation>被挂起（被信号或调试器停止），{seconds} 秒内没有任何响应</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>gave no sign of life for {seconds} s</source>
        <translation>{seconds} 秒内没有任何响应</translation>
    </message>
    <message>
        <location line="+8"/>
        <source>The engine {what} while loading {name}, so Hearth stopped it. If the model is very large, raise “Restart a silent engine after” in its settings.</source>
        <translation>引擎在加载 {name} 时{what}，因此 Hearth 停止了它。如果模型很大，请在它的设置中调高“引擎无响应多久后重启”。</translation>
    </message>
    <message>
        <location line="+7"/>
        <source>The text shown so far is kept. {advice}</source>
        <translation>已显示的文字已保留。{advice}</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>The text shown so far is kept; the model is being loaded again.</source>
        <translation>已显示的文字已保留；正在重新加载模型。</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>The text shown so far is kept.</source>
        <translation>已显示的文字已保留。</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>The engine {what}, so Hearth restarted it. {then}</source>
        <translation>引擎{what}，因此 Hearth 重启了它。{then}</translation>
    </message>
    <message>
        <location line="+10"/>
        <source>Stopped before it started.</source>
        <translation>在开始之前就已停止。</translation>
    </message>
    <message>
        <location filename="../../desktop_app/core/engine/prompt.py" line="+56"/>
        <source>To use {name} anyway, choose the built-in prompt format in the model&apos;s settings (Prompt format).</source>
        <translation>如仍要使用 {name}，请在模型设置中选择内置提示格式（提示格式）。</translation>
    </message>
    <message>
        <location line="+160"/>
        <source>it is not valid Jinja ({error})</source>
        <translation>它不是有效的 Jinja（{error}）</translation>
    </message>
    <message>
        <location line="+95"/>
        <source>it tried to do something unsafe and was stopped ({error})</source>
        <translation>它试图执行不安全的操作，已被阻止（{error}）</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>it called itself too deeply</source>
        <translation>它的递归调用太深</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>it ran out of memory</source>
        <translation>它耗尽了内存</translation>
    </message>
    <message>
        <location line="+17"/>
        <source>This model&apos;s chat template failed: {reason}. {hint}</source>
        <translation>这个模型的聊天模板出错：{reason}。{hint}</translation>
    </message>
    <message>
        <location filename="../../desktop_app/core/engine/runner.py" line="+229"/>
        <source>The engine hit an unexpected error: {error}</source>
        <translation>引擎遇到意外错误：{error}</translation>
    </message>
    <message>
        <location filename="../../desktop_app/core/engine/session.py" line="+160"/>
        <source>The message is too long for the model&apos;s context window ({tokens} tokens; the context holds {n_ctx}). Shorten it or raise the context length in the model&apos;s settings.</source>
        <translation>消息太长，超出了模型的上下文窗口（{tokens} 个 token；上下文容量为 {n_ctx}）。请缩短消息，或在模型设置中调大上下文长度。</translation>
    </message>
    <message>
        <location line="+293"/>
        <source>llama.cpp failed while generating: {reason}</source>
        <translation>llama.cpp 在生成时出错：{reason}</translation>
    </message>
    <message>
        <location filename="../../desktop_app/core/keychain.py" line="+93"/>
        <source>The system keyring is not available ({cause}), so the API key cannot be stored. Install and unlock a keyring (GNOME Keyring or KWallet on Linux).</source>
        <translation>系统密钥环不可用（{cause}），因此无法保存 API 密钥。请安装并解锁一个密钥环（Linux 上可用 GNOME Keyring 或 KWallet）。</translation>
    </message>
    <message>
        <location filename="../../desktop_app/core/remote/client.py" line="+232"/>
        <source>{server} refused the request ({status}): the API key is wrong or missing. Check the key in the server&apos;s settings.</source>
        <translation>{server} 拒绝了请求（{status}）：API 密钥错误或缺失。请检查该服务器设置中的密钥。</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>{server} does not know the model “{model}”, or the server address is wrong (404).</source>
        <translation>{server} 不认识模型“{model}”，或服务器地址有误（404）。</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>{server} answered 404 (not found): check the server address; it usually ends in /v1.</source>
        <translation>{server} 返回 404（未找到）：请检查服务器地址，它通常以 /v1 结尾。</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>{server} is rate limiting requests: try again in {seconds} seconds.</source>
        <translation>{server} 正在限制请求频率：请在 {seconds} 秒后重试。</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>{server} is rate limiting requests: wait a little and try again.</source>
        <translation>{server} 正在限制请求频率：请稍等片刻再试。</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>{server} had an internal error ({status}): {detail}</source>
        <translation>{server} 发生内部错误（{status}）：{detail}</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>{server} had an internal error ({status}). Try again later.</source>
        <translation>{server} 发生内部错误（{status}）。请稍后再试。</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>{server} rejected the request ({status}): {detail}</source>
        <translation>{server} 拒绝了请求（{status}）：{detail}</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>{server} rejected the request ({status}).</source>
        <translation>{server} 拒绝了请求（{status}）。</translation>
    </message>
    <message>
        <location line="+26"/>
        <source>The certificate of {server} ({host}) could not be verified ({reason}). If the server uses a company or self-signed certificate authority, set its CA file in the server&apos;s settings.</source>
        <translation>无法验证 {server}（{host}）的证书（{reason}）。如果该服务器使用公司内部或自签名的证书颁发机构，请在服务器设置中指定其 CA 文件。</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>A secure (TLS) connection to {server} ({host}) could not be set up. Check that the address starts with the right http:// or https://.</source>
        <translation>无法与 {server}（{host}）建立安全（TLS）连接。请检查地址开头的 http:// 或 https:// 是否正确。</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>{server} ({host}) did not accept the connection in time. Check the address and that the server is running.</source>
        <translation>{server}（{host}）未能及时接受连接。请检查地址以及服务器是否正在运行。</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>{server} stopped answering (no data for {seconds} seconds).</source>
        <translation>{server} 停止了响应（{seconds} 秒内没有数据）。</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>The proxy refused the connection to {server}: check the proxy setting.</source>
        <translation>代理拒绝了到 {server} 的连接：请检查代理设置。</translation>
    </message>
    <message>
        <location line="+7"/>
        <source>The address of {server} ({host}) could not be found. Check the server address and the network connection.</source>
        <translation>找不到 {server}（{host}）的地址。请检查服务器地址和网络连接。</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Could not connect to {server} ({host}): the connection was refused. Check that the server is running and the address is right.</source>
        <translation>无法连接到 {server}（{host}）：连接被拒绝。请检查服务器是否正在运行以及地址是否正确。</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>The connection to {server} was lost.</source>
        <translation>与 {server} 的连接已断开。</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Could not reach {server} ({host}): {cause}.</source>
        <translation>无法访问 {server}（{host}）：{cause}。</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>{server} sent a reply Hearth could not read{what}. Is this an OpenAI-compatible server address (usually ending in /v1)?</source>
        <translation>{server} 返回了 Hearth 无法读取的回复{what}。这是 OpenAI 兼容服务器的地址吗（通常以 /v1 结尾）？</translation>
    </message>
    <message>
        <location line="+21"/>
        <source>The CA file “{path}” of {server} could not be read as PEM certificates ({cause}).</source>
        <translation>{server} 的 CA 文件“{path}”无法作为 PEM 证书读取（{cause}）。</translation>
    </message>
    <message>
        <location line="+116"/>
        <location filename="../../desktop_app/core/remote/engine.py" line="+251"/>
        <source>The connection to {server} was closed.</source>
        <translation>与 {server} 的连接已关闭。</translation>
    </message>
    <message>
        <location filename="../../desktop_app/core/remote/engine.py" line="-104"/>
        <source>Checking the models of {server} failed; see the log for details.</source>
        <translation>检查 {server} 的模型失败；详情请查看日志。</translation>
    </message>
    <message>
        <location line="+8"/>
        <source>{server} does not offer the model “{model}”. It offers: {models}.</source>
        <translation>{server} 不提供模型“{model}”。它提供的有：{models}。</translation>
    </message>
    <message>
        <location filename="../../desktop_app/core/remote/resolver.py" line="+30"/>
        <source>Hearth is in offline mode, so it does not connect to remote servers such as “{server}”. Turn offline mode off in Settings to use it.</source>
        <translation>Hearth 处于离线模式，不会连接“{server}”等远程服务器。要使用它，请在设置中关闭离线模式。</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>This model&apos;s remote server was removed from the settings.</source>
        <translation>此模型所在的远程服务器已从设置中移除。</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>The remote server “{server}” is turned off in Settings.</source>
        <translation>远程服务器“{server}”已在设置中关闭。</translation>
    </message>
    <message>
        <location filename="../../desktop_app/core/remote/servers.py" line="+37"/>
        <source>llama.cpp server</source>
        <translation>llama.cpp 服务器</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>Alibaba DashScope (Qwen)</source>
        <translation>阿里云百炼 DashScope（通义千问）</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Moonshot (Kimi)</source>
        <translation>月之暗面 Moonshot（Kimi）</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Zhipu (GLM)</source>
        <translation>智谱 AI（GLM）</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Other OpenAI-compatible server</source>
        <translation>其他与 OpenAI 兼容的服务器</translation>
    </message>
    <message>
        <location line="+33"/>
        <source>Give the server a name.</source>
        <translation>请为服务器起一个名称。</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>Unknown server kind “{preset}”.</source>
        <translation>未知的服务器类型“{preset}”。</translation>
    </message>
    <message>
        <location line="+9"/>
        <source>“{url}” is not an http:// or https:// address.</source>
        <translation>“{url}”不是 http:// 或 https:// 地址。</translation>
    </message>
    <message>
        <location filename="../../desktop_app/core/remote/stream.py" line="+303"/>
        <source>The reply from {server} failed; see the log for details.</source>
        <translation>来自 {server} 的回复失败；详情请查看日志。</translation>
    </message>
    <message>
        <location line="+14"/>
        <source>The reply stopped before it was complete: {cause} The text received so far is kept.</source>
        <translation>回复在完成前中断了：{cause} 已收到的文字会保留。</translation>
    </message>
    <message>
        <location line="+46"/>
        <source>{server} closed the connection before the reply ended.</source>
        <translation>{server} 在回复结束前关闭了连接。</translation>
    </message>
    <message>
        <location line="+10"/>
        <source>{server} reported an error: {detail}</source>
        <translation>{server} 报告了一个错误：{detail}</translation>
    </message>
    <message>
        <location filename="../../desktop_app/core/documents/embedders.py" line="+182"/>
        <source>The embedding model {path} is missing</source>
        <translation>嵌入模型 {path} 不存在</translation>
    </message>
    <message>
        <location line="+15"/>
        <source>The embedding model {path} could not be loaded: {why}</source>
        <translation>无法加载嵌入模型 {path}：{why}</translation>
    </message>
    <message>
        <location line="+73"/>
        <source>The embedder {name} is on a remote server, which cannot be used here</source>
        <translation>嵌入模型 {name} 位于远程服务器上，此处无法使用</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>This Hearth does not know the embedder {name}</source>
        <translation>此版本的 Hearth 不认识嵌入模型 {name}</translation>
    </message>
    <message>
        <location filename="../../desktop_app/core/documents/ingest.py" line="+252"/>
        <source>{name} could not be indexed (it kept starting over)</source>
        <translation>无法为 {name} 建立索引（索引反复从头开始）</translation>
    </message>
    <message>
        <location line="+16"/>
        <source>The embedder {name} gives {dims}-dimension vectors, but the collection holds {expected}; re-index the collection</source>
        <translation>嵌入模型 {name} 生成 {dims} 维向量，但此文档集保存的是 {expected} 维；请重新建立索引</translation>
    </message>
    <message>
        <location line="+21"/>
        <source>{name} has no text to index (a scanned document?)</source>
        <translation>{name} 中没有可索引的文字（是扫描件吗？）</translation>
    </message>
    <message>
        <location line="+17"/>
        <source>{name} could not be read ({error})</source>
        <translation>无法读取 {name}（{error}）</translation>
    </message>
    <message>
        <location filename="../../desktop_app/core/documents/parsers.py" line="+106"/>
        <source>{name}: Hearth does not read files of this type</source>
        <translation>{name}：Hearth 不读取这种类型的文件</translation>
    </message>
    <message>
        <location line="+33"/>
        <source>{name} is protected by a password. Save a copy without the password and add that</source>
        <translation>{name} 受密码保护。请另存一份不带密码的副本，再添加该副本</translation>
    </message>
    <message>
        <location line="+14"/>
        <source>page {page} could not be read</source>
        <translation>第 {page} 页无法读取</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>page {page} has no text (a scan?)</source>
        <translation>第 {page} 页没有文字（是扫描件吗？）</translation>
    </message>
    <message>
        <location line="+8"/>
        <source>{name} is not a valid {kind} file ({detail})</source>
        <translation>{name} 不是有效的 {kind} 文件（{detail}）</translation>
    </message>
    <message>
        <location filename="../../desktop_app/core/documents/retrieval.py" line="+163"/>
        <source>The collection {name} was indexed with another embedder; re-index it</source>
        <translation>文档集 {name} 是用另一个嵌入模型建立的索引；请重新建立索引</translation>
    </message>
    <message>
        <location filename="../../desktop_app/core/documents/store.py" line="+263"/>
        <source>There are no document collections yet</source>
        <translation>还没有文档集</translation>
    </message>
    <message>
        <location line="+36"/>
        <location line="+31"/>
        <source>A collection needs a name</source>
        <translation>文档集需要一个名称</translation>
    </message>
    <message>
        <location line="-28"/>
        <location line="+32"/>
        <source>There is already a collection called {name}</source>
        <translation>已有名为 {name} 的文档集</translation>
    </message>
    <message>
        <location filename="../../desktop_app/core/documents/text_files.py" line="+52"/>
        <source>{name} cannot be opened: {why}</source>
        <translation>无法打开 {name}：{why}</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>{name} is not a regular file (a device, pipe or folder), so Hearth does not read it</source>
        <translation>{name} 不是普通文件（而是设备、管道或文件夹），Hearth 不会读取它</translation>
    </message>
    <message>
        <location line="+44"/>
        <source>{name} looks like a binary file, not text, so it was not indexed</source>
        <translation>{name} 看起来是二进制文件而不是文本，因此没有建立索引</translation>
    </message>
    <message>
        <location filename="../../desktop_app/core/engine/broker.py" line="+70"/>
        <source>This client may not load or unload models; the model is chosen in the window.</source>
        <translation>此客户端不能加载或卸载模型；模型在窗口中选择。</translation>
    </message>
    <message>
        <location filename="../../desktop_app/core/serve/keys.py" line="+63"/>
        <source>The key file {path} can be read by other users. Make it private (chmod 600 {path}) or delete it to make a new key.</source>
        <translation>其他用户可以读取密钥文件 {path}。请将其设为私有（chmod 600 {path}），或删除它以生成新密钥。</translation>
    </message>
    <message>
        <location line="+34"/>
        <source>The key file {path} cannot be used: {reason}</source>
        <translation>无法使用密钥文件 {path}：{reason}</translation>
    </message>
    <message>
        <location filename="../../desktop_app/core/serve/server.py" line="+55"/>
        <source>The API server cannot listen on “{host}”: it is not an address of this computer ({reason}).</source>
        <translation>API 服务器无法在“{host}”上监听：这不是本机的地址（{reason}）。</translation>
    </message>
    <message>
        <location line="+24"/>
        <source>Port {port} is already in use by another program. Choose another port for the API server.</source>
        <translation>端口 {port} 已被其他程序占用。请为 API 服务器选择其他端口。</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>The system does not allow listening on port {port} (ports below 1024 need administrator rights). Choose a port from 1024 to 65535.</source>
        <translation>系统不允许在端口 {port} 上监听（1024 以下的端口需要管理员权限）。请选择 1024 到 65535 之间的端口。</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>The API server cannot listen on {host}: it is not an address of this computer.</source>
        <translation>API 服务器无法在 {host} 上监听：这不是本机的地址。</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>The API server cannot listen on {host} port {port}: {reason}</source>
        <translation>API 服务器无法在 {host} 的端口 {port} 上监听：{reason}</translation>
    </message>
    <message>
        <location line="+103"/>
        <source>The API server did not start: {reason}</source>
        <translation>API 服务器未能启动：{reason}</translation>
    </message>
    <message>
        <location filename="../../desktop_app/core/documents/remote_embedder.py" line="+157"/>
        <source>{server} sent vectors of {dims} dimensions for {model}, where it sent {expected} before; vectors of different lengths cannot be searched together</source>
        <translation>{server} 为 {model} 返回了 {dims} 维向量，而之前是 {expected} 维；长度不同的向量无法一起搜索</translation>
    </message>
    <message>
        <location filename="../../desktop_app/core/tools/agent.py" line="+69"/>
        <source>Stopped after {steps} rounds of tool calls, the limit for one message. Send another message to let the model continue.</source>
        <translation>已进行 {steps} 轮工具调用，达到单条消息的上限，已停止。再发送一条消息可让模型继续。</translation>
    </message>
    <message>
        <location filename="../../desktop_app/core/tools/mcp_client.py" line="+271"/>
        <source>The server did not start within {seconds} seconds.</source>
        <translation>服务器未能在 {seconds} 秒内启动。</translation>
    </message>
    <message>
        <location line="+65"/>
        <source>The server stopped answering ({reason}).</source>
        <translation>服务器停止了响应（{reason}）。</translation>
    </message>
    <message>
        <location line="+105"/>
        <source>The server failed: {detail}</source>
        <translation>服务器出错：{detail}</translation>
    </message>
    <message>
        <location filename="../../desktop_app/core/tools/mcp_config.py" line="+58"/>
        <source>The MCP server “{name}” cannot be imported: {reason}</source>
        <translation>无法导入 MCP 服务器“{name}”：{reason}</translation>
    </message>
    <message>
        <location line="+54"/>
        <source>This is not valid JSON: {error}</source>
        <translation>这不是有效的 JSON：{error}</translation>
    </message>
    <message>
        <location line="+3"/>
        <location line="+4"/>
        <source>The configuration has no “mcpServers” object.</source>
        <translation>配置中没有“mcpServers”对象。</translation>
    </message>
</context>
</TS>
