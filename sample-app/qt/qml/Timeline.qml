import QtQuick
import QtQuick.Controls
import Confab

// A conversation's main timeline (or a thread's replies): oldest at the top, older history
// paged in when scrolled to the top, kept at the newest while the user is there, with
// "Jump to newest" when not.
Item {
    id: timeline
    property var model: null
    property string conversationId
    property bool inThread: false
    readonly property bool atNewest: list.atYEnd || list.contentHeight <= list.height
    signal openThread(string messageId, string senderId, string senderName, string text)
    signal replyRequested(string messageId, string senderName, string text)
    signal editRequested(string messageId, var localId, string text)

    function positionAtNewest() { list.positionViewAtEnd() }
    // Shows the message `messageId`, paging older history in from the store until the
    // timeline holds it (a search result is stored); false if it is not found.
    function jumpTo(messageId) {
        if (!model) return false
        let row = model.rowOf(messageId)
        for (let pages = 0; row < 0 && model.hasOlder && !model.fetching && pages < 200; ++pages) {
            model.loadOlder()
            row = model.rowOf(messageId)
        }
        if (row < 0) return false
        list.stickToNewest = false
        list.positionViewAtIndex(row, ListView.Center)
        list.highlighted = messageId
        return true
    }

    ListView {
        id: list
        objectName: timeline.inThread ? "threadList" : "timelineList"
        anchors.fill: parent
        model: timeline.model
        clip: true
        spacing: 0
        boundsBehavior: Flickable.StopAtBounds
        property bool stickToNewest: true
        property string highlighted
        topMargin: 8
        bottomMargin: 12
        ScrollBar.vertical: ScrollBar { id: scrollBar }

        header: Item {
            width: list.width
            height: timeline.model && !timeline.inThread ? 44 : 0
            Text {
                anchors.centerIn: parent
                visible: timeline.model !== null && !timeline.inThread
                text: !timeline.model ? ""
                    : timeline.model.fetching ? qsTr("Loading older messages…")
                    : timeline.model.hasOlder ? "" : qsTr("This is the start of the conversation.")
                color: Theme.textMuted
                font.family: Theme.fontFamily
                font.pixelSize: Theme.smallFontSize
            }
        }

        delegate: MessageDelegate {
            conversationId: timeline.conversationId
            inThread: timeline.inThread
            onOpenThread: (id, senderId, sender, text) => timeline.openThread(id, senderId, sender, text)
            onReplyRequested: (id, sender, text) => timeline.replyRequested(id, sender, text)
            onEditRequested: (id, local, text) => timeline.editRequested(id, local, text)
        }

        onCountChanged: if (stickToNewest) Qt.callLater(positionViewAtEnd)
        onMovementEnded: stickToNewest = atYEnd
        onContentYChanged: {
            if (moving || scrollBar.pressed) stickToNewest = atYEnd
            if (atYBeginning && timeline.model && timeline.model.hasOlder && !timeline.model.fetching && count > 0)
                Qt.callLater(() => { if (timeline.model) timeline.model.loadOlder() })
        }
        Component.onCompleted: positionViewAtEnd()
    }

    Rectangle {
        id: jump
        visible: !list.stickToNewest && !timeline.atNewest
        anchors.right: parent.right
        anchors.bottom: parent.bottom
        anchors.margins: 16
        width: jumpText.implicitWidth + 28
        height: 34
        radius: 17
        color: Theme.accent
        Text {
            id: jumpText
            anchors.centerIn: parent
            text: qsTr("Jump to newest  \u2193")
            color: "white"
            font.family: Theme.fontFamily
            font.pixelSize: Theme.smallFontSize
            font.weight: Font.DemiBold
        }
        TapHandler {
            onTapped: {
                list.stickToNewest = true
                list.positionViewAtEnd()
            }
        }
    }

    onModelChanged: {
        list.stickToNewest = true
        Qt.callLater(list.positionViewAtEnd)
    }
}
